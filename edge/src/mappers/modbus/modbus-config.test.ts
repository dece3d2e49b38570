import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModbusProtocol, parseModbusVisitor } from './modbus-config.ts';

const W = 'Device default/m spec.protocol.configData';

test('TCP from the crds example: numeric strings count, defaults fill the rest', () => {
  assert.deepEqual(
    parseModbusProtocol({ communicateMode: 'TCP', ip: '127.0.0.1', port: '5020', slaveID: 1 }, W),
    {
      transport: 'tcp',
      host: '127.0.0.1',
      port: 5020,
      slaveId: 1,
      timeoutMs: 5000,
    },
  );
  assert.deepEqual(parseModbusProtocol({ ip: '10.0.0.5' }, W), {
    transport: 'tcp',
    host: '10.0.0.5',
    port: 502,
    slaveId: 1,
    timeoutMs: 5000,
  });
});

test('RTU on a serial port takes the mappers-go keys; parity accepts words and letters', () => {
  assert.deepEqual(
    parseModbusProtocol(
      {
        slaveID: 3,
        serialPort: '/dev/ttyUSB0',
        baudRate: 115200,
        dataBits: 8,
        parity: 'even',
        stopBits: 1,
        timeout: 800,
      },
      W,
    ),
    {
      transport: 'rtu',
      serialPort: '/dev/ttyUSB0',
      baudRate: 115200,
      dataBits: 8,
      parity: 'even',
      stopBits: 1,
      slaveId: 3,
      timeoutMs: 800,
    },
  );
  const rtu = parseModbusProtocol({ communicateMode: 'rtu', serialPort: '/dev/ttyS1', parity: 'N' }, W);
  assert.equal(rtu.transport === 'rtu' && rtu.parity, 'none');
  assert.equal(rtu.transport === 'rtu' && rtu.baudRate, 19200);
});

test('RTU over TCP needs the rtuOverTCP flag and an ip', () => {
  assert.deepEqual(
    parseModbusProtocol({ communicateMode: 'RTU', rtuOverTCP: true, ip: 'gw', port: 4001 }, W),
    {
      transport: 'rtu-over-tcp',
      host: 'gw',
      port: 4001,
      slaveId: 1,
      timeoutMs: 5000,
    },
  );
  assert.throws(
    () => parseModbusProtocol({ communicateMode: 'RTU', ip: 'gw' }, W),
    /needs serialPort; to send RTU frames to gw over TCP set rtuOverTCP: true/,
  );
  assert.throws(
    () => parseModbusProtocol({ communicateMode: 'TCP', rtuOverTCP: true, ip: 'gw' }, W),
    /needs communicateMode: RTU/,
  );
  assert.throws(
    () => parseModbusProtocol({ rtuOverTCP: 'true', serialPort: '/dev/x', ip: 'gw' }, W),
    /both serialPort and rtuOverTCP/,
  );
});

test('protocol errors name the field and the fix', () => {
  assert.throws(() => parseModbusProtocol(undefined, W), /set ip \(and port\) for Modbus TCP, or serialPort/);
  assert.throws(
    () => parseModbusProtocol({ communicateMode: 'UDP', ip: 'x' }, W),
    /communicateMode is "UDP"; expected one of TCP, RTU/,
  );
  assert.throws(
    () => parseModbusProtocol({ ip: 'x', port: 70000 }, W),
    /\.port must be an integer from 1 to 65535, got 70000/,
  );
  assert.throws(
    () => parseModbusProtocol({ ip: 'x', slaveID: 'one' }, W),
    /\.slaveID must be an integer from 0 to 255/,
  );
  assert.throws(
    () => parseModbusProtocol({ serialPort: '/dev/x', parity: 'strange' }, W),
    /parity is "strange"/,
  );
  assert.throws(() => parseModbusProtocol('ip=1', W), /must be a mapping/);
  const warnings: string[] = [];
  parseModbusProtocol({ ip: 'x', prot: 1 }, W, (m) => warnings.push(m));
  assert.match(warnings[0] ?? '', /ignoring unknown key\(s\) prot/);
});

const V = 'Device default/m property t visitors.configData';

test('visitor keys of the crds example parse; dataType falls back to the model type', () => {
  assert.deepEqual(
    parseModbusVisitor(
      {
        dataType: 'float',
        register: 'HoldingRegister',
        offset: 0,
        limit: 1,
        scale: 0.1,
        isSwap: false,
        isRegisterSwap: false,
      },
      'FLOAT',
      V,
    ),
    {
      register: 'HoldingRegister',
      offset: 0,
      limit: 1,
      dataType: 'float',
      scale: 0.1,
      isSwap: false,
      isRegisterSwap: false,
    },
  );
  const coil = parseModbusVisitor({ register: 'CoilRegister', offset: 2, isSwap: true }, 'INT', V);
  assert.deepEqual([coil.dataType, coil.limit], ['int', 1]);
  assert.equal(parseModbusVisitor({ register: 'coilregister', offset: 0 }, 'BOOLEAN', V).dataType, 'boolean');
  const reg = parseModbusVisitor({ register: 'InputRegister', offset: '7' }, 'DOUBLE', V);
  assert.deepEqual([reg.dataType, reg.limit, reg.scale], ['double', 4, 1]);
  assert.equal(
    parseModbusVisitor({ register: 'HoldingRegister', offset: 1, dataType: 'UINT32' }, 'INT', V).limit,
    2,
  );
});

test('visitor errors: missing keys, bad widths, impossible ranges', () => {
  assert.throws(() => parseModbusVisitor({}, 'INT', V), /\.register is required: one of CoilRegister/);
  assert.throws(
    () => parseModbusVisitor({ register: 'Holding', offset: 0 }, 'INT', V),
    /register is "Holding"/,
  );
  assert.throws(() => parseModbusVisitor({ register: 'HoldingRegister' }, 'INT', V), /\.offset is required/);
  assert.throws(
    () =>
      parseModbusVisitor(
        { register: 'HoldingRegister', offset: 0, dataType: 'float32', limit: 1 },
        'FLOAT',
        V,
      ),
    /limit is 1, but dataType float32 on HoldingRegister spans 2 registers/,
  );
  assert.throws(
    () => parseModbusVisitor({ register: 'HoldingRegister', offset: 0, dataType: 'int', limit: 3 }, 'INT', V),
    /spans 1, 2, 4 registers/,
  );
  assert.throws(
    () => parseModbusVisitor({ register: 'CoilRegister', offset: 0, dataType: 'float' }, 'FLOAT', V),
    /holds bits, so dataType must be boolean or int/,
  );
  assert.throws(
    () => parseModbusVisitor({ register: 'HoldingRegister', offset: 0 }, 'STRING', V),
    /limit is required for dataType string/,
  );
  assert.throws(
    () => parseModbusVisitor({ register: 'HoldingRegister', offset: 0 }, 'BYTES', V),
    /dataType is required/,
  );
  assert.throws(
    () => parseModbusVisitor({ register: 'HoldingRegister', offset: 0, scale: 0 }, 'INT', V),
    /scale must not be 0/,
  );
  assert.throws(
    () => parseModbusVisitor({ register: 'HoldingRegister', offset: 65535, dataType: 'int32' }, 'INT', V),
    /runs past address 65535/,
  );
  assert.throws(
    () => parseModbusVisitor({ register: 'HoldingRegister', offset: 0, isSwap: 'yes' }, 'INT', V),
    /isSwap must be true or false/,
  );
});
