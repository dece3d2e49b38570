#!/usr/bin/python3
"""A Modbus RTU slave on a serial line, from an independent implementation (pymodbus, Debian's
python3-pymodbus), for the serial-port test in devices.test.ts.

Usage: rtu-slave.py SERIAL_PORT UNIT_ID HOLDING0
Serves unit UNIT_ID at 19200 8N1 (the Modbus mapper's defaults): holding register 0 = HOLDING0,
coil 0 = 0. Prints "ready" once the port is open, then "write <table> <address> <values>" for every
write the master makes, so the test sees the value arrive at the device itself.
"""
import asyncio
import sys

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.server import StartAsyncSerialServer
from pymodbus.transaction import ModbusRtuFramer


class LoggedBlock(ModbusSequentialDataBlock):
    """A data block that reports every write on stdout."""

    def __init__(self, table, address, values):
        super().__init__(address, values)
        self.table = table

    def setValues(self, address, values):  # pylint: disable=invalid-name
        super().setValues(address, values)
        # pymodbus addresses blocks from 1 (its zero_mode is off): report the protocol address.
        print(f"write {self.table} {address - 1} {' '.join(str(int(v)) for v in values)}", flush=True)


async def main():
    port, unit, holding0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    slave = ModbusSlaveContext(
        co=LoggedBlock("coil", 1, [0] * 16),
        di=ModbusSequentialDataBlock(1, [0] * 16),
        hr=LoggedBlock("holding", 1, [holding0] + [0] * 15),
        ir=ModbusSequentialDataBlock(1, [0] * 16),
    )
    context = ModbusServerContext(slaves={unit: slave}, single=False)
    server = await StartAsyncSerialServer(
        context=context,
        framer=ModbusRtuFramer,
        port=port,
        baudrate=19200,
        bytesize=8,
        parity="N",
        stopbits=1,
        defer_start=True,
    )
    await server.start()
    print("ready", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
