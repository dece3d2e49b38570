import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc16 } from './crc16.ts';

test('CRC-16/MODBUS of known frames (Serial Line V1.02 Appendix B), low byte first on the wire', () => {
  // Read Holding Registers, unit 1, address 0, 10 registers: the frame ends C5 CD.
  const crc = crc16(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]));
  assert.equal(crc & 0xff, 0xc5);
  assert.equal(crc >> 8, 0xcd);
  // The check value of CRC-16/MODBUS over "123456789" is 0x4B37.
  assert.equal(crc16(Buffer.from('123456789', 'ascii')), 0x4b37);
});
