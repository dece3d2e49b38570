import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc16 } from './crc16.ts';
import { frameCodec } from './framing.ts';

const rtu = (hex: string): Buffer => {
  const body = Buffer.from(hex.replace(/\s/g, ''), 'hex');
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc16(body));
  return Buffer.concat([body, crc]);
};

test('MBAP: frames split across and packed into TCP chunks', () => {
  const codec = frameCodec('tcp');
  const one = Buffer.from('000100000006010300000002', 'hex');
  const two = Buffer.from('000200000006010400640001', 'hex');
  const both = Buffer.concat([one, two]);
  assert.deepEqual(codec.push(both.subarray(0, 5)).frames, []);
  const { frames, corrupt } = codec.push(both.subarray(5));
  assert.equal(corrupt, false);
  assert.deepEqual(
    frames.map((f) => [f.transactionId, f.unitId, f.pdu.toString('hex')]),
    [
      [1, 1, '0300000002'],
      [2, 1, '0400640001'],
    ],
  );
  const reply = codec.encode(
    frames[0] ?? { transactionId: 0, unitId: 0, pdu: Buffer.alloc(0) },
    Buffer.from('0304000a000b', 'hex'),
  );
  assert.equal(reply.toString('hex'), '000100000007010304000a000b');
});

test('MBAP: a protocol id other than 0 or an impossible length marks the stream corrupt', () => {
  assert.equal(frameCodec('tcp').push(Buffer.from('000100010006010300000002', 'hex')).corrupt, true);
  assert.equal(frameCodec('tcp').push(Buffer.from('000100000100010300000002', 'hex')).corrupt, true);
});

test('RTU over TCP: lengths from the function code, CRC checked, replies with CRC', () => {
  const codec = frameCodec('rtu-over-tcp');
  const read = rtu('01 03 0000 000a');
  assert.equal(read.subarray(-2).toString('hex'), 'c5cd');
  const write = rtu('01 10 0000 0002 04 0001 0002');
  const chunk = Buffer.concat([read, write]);
  assert.deepEqual(
    codec.push(chunk.subarray(0, 10)).frames.map((f) => f.pdu.toString('hex')),
    ['030000000a'],
  );
  assert.deepEqual(
    codec.push(chunk.subarray(10)).frames.map((f) => f.pdu.toString('hex')),
    ['10000000020400010002'],
  );
  const reply = codec.encode(
    { transactionId: 0, unitId: 1, pdu: Buffer.alloc(0) },
    Buffer.from('0302002a', 'hex'),
  );
  assert.deepEqual(reply, rtu('01 03 02 002a'));
});

test('RTU over TCP: a frame with a bad CRC is discarded and the stream recovers', () => {
  const codec = frameCodec('rtu-over-tcp');
  const bad = rtu('01 03 0000 0001');
  bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
  assert.deepEqual(codec.push(bad).frames, []);
  assert.deepEqual(
    codec.push(rtu('01 03 0000 0001')).frames.map((f) => f.unitId),
    [1],
  );
});
