"""An independent Modbus client for the simulator tests: pymodbus 3.0 (Debian python3-pymodbus).

Usage: /usr/bin/python3 pymodbus_client.py '{"port": P, "rtu": false, "unit": 1, "timeout": 1,
        "ops": [{"fn": "read_holding_registers", "args": [0, 2]}, ...]}'
Runs the operations in order over one connection and prints a JSON list with, per operation,
the registers or bits read, or the exception code, or the error, and the time it took in ms.
"""
import json
import sys
import time

from pymodbus.client import ModbusTcpClient
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.framer.socket_framer import ModbusSocketFramer

args = json.loads(sys.argv[1])
client = ModbusTcpClient(
    args.get("host", "127.0.0.1"),
    port=args["port"],
    framer=ModbusRtuFramer if args.get("rtu") else ModbusSocketFramer,
    # pymodbus 3.0.0rc1 truncates the connect timeout to whole seconds (0.3 s becomes a
    # non-blocking connect that fails with EINPROGRESS), so connect with 1 s and then apply the
    # requested timeout to the reads.
    timeout=max(1, args.get("timeout", 1)),
    retries=0,
    retry_on_empty=False,
    close_comm_on_error=False,
)
results = []
connected = client.connect()
client.params.timeout = args.get("timeout", 1)
for op in args["ops"]:
    started = time.monotonic()
    result = {}
    try:
        response = getattr(client, op["fn"])(*op["args"], slave=args.get("unit", 1))
        if response.isError():
            code = getattr(response, "exception_code", None)
            result = {"error": str(response)} if code is None else {"exception": code}
        else:
            if hasattr(response, "registers"):
                result["registers"] = list(response.registers)
            if hasattr(response, "bits"):
                result["bits"] = [bool(b) for b in response.bits]
            result["ok"] = True
    except Exception as err:  # noqa: BLE001 - report every failure to the test
        result = {"error": f"{type(err).__name__}: {err}"}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    results.append(result)
client.close()
print(json.dumps({"connected": connected, "results": results}))
