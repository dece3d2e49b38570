import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faultApplies, parseFault } from './fault-spec.ts';

const points = ['temperature', 'setpoint'];

test('faults parse with names for Modbus exception codes', () => {
  assert.deepEqual(parseFault({ mode: 'exception', code: 'server-device-busy' }, 'modbus', points), {
    mode: 'exception',
    code: 6,
  });
  assert.deepEqual(parseFault({ mode: 'exception', code: 2, points: ['setpoint'] }, 'modbus', points), {
    mode: 'exception',
    code: 2,
    points: ['setpoint'],
  });
  assert.deepEqual(parseFault({ mode: 'delay', ms: 250 }, 'opcua', points), { mode: 'delay', ms: 250 });
  assert.deepEqual(parseFault({ mode: 'drop', afterRequests: 3, reset: true }, 'modbus', points), {
    mode: 'drop',
    afterRequests: 3,
    reset: true,
  });
  assert.deepEqual(parseFault({ mode: 'bad-status' }, 'opcua', points), { mode: 'bad-status' });
});

test('bad faults are clear InvalidInputErrors', () => {
  const bad = (value: unknown, protocol: 'modbus' | 'opcua', message: RegExp): void =>
    assert.throws(
      () => parseFault(value, protocol, points),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'EINVALID');
        assert.match(err.message, message);
        return true;
      },
    );
  bad(
    { mode: 'explode' },
    'modbus',
    /mode "explode" is not a modbus fault; use one of none, no-response, exception, delay, drop/,
  );
  bad({ mode: 'exception' }, 'opcua', /mode "exception" is not a opcua fault/);
  bad({ mode: 'bad-status' }, 'modbus', /not a modbus fault/);
  bad(
    { mode: 'exception', code: 'nope' },
    'modbus',
    /code must be a Modbus exception code 1-255 or one of illegal-function/,
  );
  bad({ mode: 'delay', ms: -1 }, 'modbus', /ms must be a number of milliseconds/);
  bad({ mode: 'delay', ms: 5, after: 2 }, 'modbus', /after is not a field of mode delay/);
  bad(
    { mode: 'no-response', points: ['pressure'] },
    'modbus',
    /unknown point pressure; points are temperature, setpoint/,
  );
  bad([1], 'modbus', /must be a JSON object with a mode, not a list/);
  bad(
    { mode: 'bad-status', statusCode: 'Good' },
    'opcua',
    /statusCode must be the name of an OPC UA Bad status/,
  );
});

test('a fault with points applies only to requests touching them', () => {
  const fault = parseFault({ mode: 'no-response', points: ['setpoint'] }, 'modbus', points);
  assert.equal(faultApplies(fault, ['temperature']), false);
  assert.equal(faultApplies(fault, ['temperature', 'setpoint']), true);
  assert.equal(faultApplies({ mode: 'no-response' }, []), true);
});
