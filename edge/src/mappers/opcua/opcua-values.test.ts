import { test } from 'node:test';
import assert from 'node:assert/strict';
import { opcUaValueToText, textToOpcUaValue } from './opcua-values.ts';

test('read values become twin text', () => {
  assert.equal(opcUaValueToText('Double', 21.5), '21.5');
  assert.equal(opcUaValueToText('Float', Math.fround(0.1)), '0.1');
  assert.equal(opcUaValueToText('Boolean', true), 'true');
  assert.equal(opcUaValueToText('Int32', -7), '-7');
  assert.equal(opcUaValueToText('Int64', [0xffffffff, 0xfffffffe]), '-2');
  assert.equal(opcUaValueToText('UInt64', [1, 0]), '4294967296');
  assert.equal(opcUaValueToText('String', 'idle'), 'idle');
  assert.equal(opcUaValueToText('LocalizedText', { text: 'Running', locale: 'en' }), 'Running');
  assert.equal(opcUaValueToText('DateTime', new Date(Date.UTC(2026, 0, 1))), '2026-01-01T00:00:00.000Z');
  assert.equal(opcUaValueToText('ByteString', Buffer.from([1, 171])), '01ab');
  assert.equal(opcUaValueToText('Double', 1e21), '1e21');
  assert.throws(() => opcUaValueToText('Double', [1, 2, 3]), /array of Double/);
  assert.throws(() => opcUaValueToText('Double', new Float64Array(2)), /array of Double/);
  assert.throws(() => opcUaValueToText('Null', null), /empty/);
  assert.throws(() => opcUaValueToText('Double', NaN), /cannot be reported/);
});

test('desired text becomes the value of the write type, within its range', () => {
  assert.equal(textToOpcUaValue('65', 'Double'), 65);
  assert.equal(textToOpcUaValue('true', 'Boolean'), true);
  assert.equal(textToOpcUaValue('0', 'Boolean'), false);
  assert.equal(textToOpcUaValue('-12', 'Int32'), -12);
  assert.equal(textToOpcUaValue('idle', 'String'), 'idle');
  assert.deepEqual(textToOpcUaValue('-2', 'Int64'), [0xffffffff, 0xfffffffe]);
  assert.deepEqual(textToOpcUaValue('4294967296', 'UInt64'), [1, 0]);
  assert.throws(() => textToOpcUaValue('1.5', 'Int32'), /not an integer/);
  assert.throws(() => textToOpcUaValue('300', 'Byte'), /outside Byte's range 0\.\.255/);
  assert.throws(() => textToOpcUaValue('-1', 'UInt64'), /outside UInt64's range/);
  assert.throws(() => textToOpcUaValue('1e39', 'Float'), /does not fit an OPC UA Float/);
  assert.throws(() => textToOpcUaValue('hot', 'Double'), /"hot" is not a number/);
  assert.throws(() => textToOpcUaValue('yes', 'Boolean'), /not a boolean/);
});
