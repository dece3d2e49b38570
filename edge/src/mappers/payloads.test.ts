import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStateRequest, parseTwinUpdate } from '@edgeproof/core';
import { parseTwinDelta, pushPayload, stateUpdatePayload, twinUpdatePayload } from './payloads.ts';

test('twin/update and state/update have the mappers-go shapes', () => {
  assert.deepEqual(
    twinUpdatePayload(
      [
        { property: 'temperature', value: '21.5', type: 'float', timestamp: 10 },
        { property: 'enable', value: '1', type: 'int', timestamp: 11 },
      ],
      12,
      'e1',
    ),
    {
      event_id: 'e1',
      timestamp: 12,
      twin: {
        temperature: { actual: { value: '21.5', metadata: { timestamp: 10 } }, metadata: { type: 'float' } },
        enable: { actual: { value: '1', metadata: { timestamp: 11 } }, metadata: { type: 'int' } },
      },
    },
  );
  assert.deepEqual(stateUpdatePayload('online', 5, 'e2'), { event_id: 'e2', timestamp: 5, state: 'online' });
  assert.match(stateUpdatePayload('offline', 5).event_id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(stateUpdatePayload('offline', 5, 'e3', 'connect ECONNREFUSED'), {
    event_id: 'e3',
    timestamp: 5,
    state: 'offline',
    reason: 'connect ECONNREFUSED',
  });
});

test("edgecore's wire validation (core parseTwinUpdate / parseStateRequest) accepts what the mapper sends", () => {
  const update = twinUpdatePayload(
    [{ property: 'temperature-enable', value: '-40.5', type: 'float', timestamp: 1 }],
    2,
  );
  const parsed = parseTwinUpdate(JSON.stringify(update), 'twin/update');
  assert.deepEqual(parsed.twin['temperature-enable'], update.twin['temperature-enable']);
  assert.equal(
    parseStateRequest(JSON.stringify(stateUpdatePayload('unhealthy', 3)), 'state/update').state,
    'unhealthy',
  );
});

test('the pushMethod payload is mapper-framework DataModel with its Go field names', () => {
  assert.deepEqual(pushPayload('default', 'd1', { property: 'p', value: '3', type: 'int', timestamp: 9 }), {
    DeviceName: 'd1',
    PropertyName: 'p',
    Namespace: 'default',
    Value: '3',
    Type: 'int',
    TimeStamp: 9,
  });
});

test('deltas: the delta map, else the twins expected values; malformed payloads are errors', () => {
  assert.deepEqual(
    parseTwinDelta(
      JSON.stringify({
        event_id: 'x',
        timestamp: 1,
        twin: { a: { expected: { value: '9' } } },
        delta: { a: '1' },
      }),
      't',
    ),
    { a: '1' },
  );
  assert.deepEqual(parseTwinDelta(Buffer.from('{"twin":{"a":{"expected":{"value":"9"}},"b":{}}}'), 't'), {
    a: '9',
  });
  assert.throws(() => parseTwinDelta('nope', 't'), /t: payload is not JSON/);
  assert.throws(() => parseTwinDelta('[1]', 't'), /must be a JSON object/);
  assert.throws(() => parseTwinDelta('{"delta":{"a":1}}', 't'), /delta\.a must be a string/);
});
