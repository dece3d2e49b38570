import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deviceResource,
  deviceTopic,
  isUploadTopic,
  membershipTopic,
  parseMembershipUpdate,
  parseStateRequest,
  parseTwinTopic,
  parseTwinUpdate,
  twinKeyProblem,
  twinValueProblem,
} from './index.ts';
import { parseEdgeResource } from '../message/resource.ts';

test('device topics carry the namespace-qualified id and round-trip (kubeedge-protocol.md §7.2)', () => {
  const topic = deviceTopic('default', 'thermo-1', 'twin/update/delta');
  assert.equal(topic, '$hw/events/device/default/thermo-1/twin/update/delta');
  assert.deepEqual(parseTwinTopic(topic), {
    kind: 'device',
    namespace: 'default',
    name: 'thermo-1',
    action: 'twin/update/delta',
  });
  assert.deepEqual(parseTwinTopic(membershipTopic('edge-1', 'get')), {
    kind: 'membershipGet',
    nodeName: 'edge-1',
  });
  assert.equal(parseTwinTopic('factory/line-1/temp'), undefined);
  assert.throws(
    () => parseTwinTopic('$hw/events/device/default/thermo-1/twin/explode'),
    /unknown device action/,
  );
  assert.throws(() => parseTwinTopic('$hw/events/device/thermo-1'), /<namespace>\/<name>/);
});

test('upload topics are the three forwarded to the cloud', () => {
  assert.ok(isUploadTopic('$hw/events/upload/line-1'));
  assert.ok(isUploadTopic('SYS/dis/upload_records'));
  assert.ok(isUploadTopic('app/user/readings'));
  assert.ok(!isUploadTopic('$hw/events/device/default/x/twin/update'));
  assert.ok(!isUploadTopic('factory/line-1/temp'));
});

test('twin resources parse as device resources on the cloud link (§7.4)', () => {
  const r = deviceResource('default', 'thermo-1', 'twin/edge_updated');
  assert.deepEqual(parseEdgeResource(r, 'update'), {
    kind: 'device',
    namespace: 'default',
    name: 'thermo-1',
    path: 'twin/edge_updated',
  });
});

test('twin names and values follow the §7.3 limits', () => {
  assert.equal(twinKeyProblem('temperature-enable'), undefined);
  assert.match(twinKeyProblem('bad key') ?? '', /1–128 characters/);
  assert.match(twinKeyProblem('k'.repeat(129)) ?? '', /1–128/);
  assert.equal(twinValueProblem('23.5'), undefined);
  assert.match(twinValueProblem('v'.repeat(513)) ?? '', /1–512/);
});

test('parseTwinUpdate keeps the typed fields and names what is wrong', () => {
  const u = parseTwinUpdate(
    JSON.stringify({
      event_id: 'e1',
      timestamp: 5,
      twin: {
        temperature: { actual: { value: '21.5', metadata: { timestamp: 4 } }, metadata: { type: 'float' } },
        gone: null,
      },
    }),
    'topic t',
  );
  assert.equal(u.event_id, 'e1');
  assert.deepEqual(u.twin['temperature'], {
    actual: { value: '21.5', metadata: { timestamp: 4 } },
    metadata: { type: 'float' },
  });
  assert.equal(u.twin['gone'], null);
  assert.throws(() => parseTwinUpdate('{not json', 'topic t'), /topic t: payload is not JSON/);
  assert.throws(
    () => parseTwinUpdate('{"twin":{"a":{"actual":{"value":7}}}}', 'topic t'),
    /twin\.a\.actual\.value must be a string/,
  );
  assert.throws(() => parseTwinUpdate('{"twin":{"a b":{}}}', 'topic t'), /twin name "a b"/);
  assert.throws(
    () => parseTwinUpdate('{"twin":{"a":{"expected_version":{"cloud":"1"}}}}', 'topic t'),
    /expected_version must be/,
  );
});

test('state requests and membership updates are validated', () => {
  assert.equal(parseStateRequest('{"event_id":"","timestamp":1,"state":"online"}', 's').state, 'online');
  assert.throws(() => parseStateRequest('{"state":3}', 's'), /"state" must be a non-empty string/);
  assert.equal(
    parseStateRequest('{"state":"unhealthy","reason":"register 7: exception 2"}', 's').reason,
    'register 7: exception 2',
  );
  const m = parseMembershipUpdate(
    {
      event_id: 'm',
      timestamp: 1,
      added_devices: [{ id: 'default/a', name: 'a', twin: { p: { expected: { value: '1' } } } }],
    },
    'membership',
  );
  assert.equal(m.added_devices[0]?.twin?.['p']?.expected?.value, '1');
  assert.deepEqual(m.removed_devices, []);
  assert.throws(
    () => parseMembershipUpdate({ added_devices: [{ id: 1 }] }, 'membership'),
    /added_devices\[0\]/,
  );
  // Attributes and last_online as KubeEdge's cloud sends them (dttype.Device).
  const withAttrs = parseMembershipUpdate(
    {
      added_devices: [
        {
          id: 'default/a',
          name: 'a',
          last_online: '2026-12-02 10:00:00',
          attributes: { vendor: { value: 'acme', optional: false, metadata: { type: 'string' } } },
        },
      ],
    },
    'membership',
  );
  assert.deepEqual(withAttrs.added_devices[0]?.attributes, {
    vendor: { value: 'acme', optional: false, metadata: { type: 'string' } },
  });
  assert.equal(withAttrs.added_devices[0]?.last_online, '2026-12-02 10:00:00');
  assert.throws(
    () =>
      parseMembershipUpdate(
        { added_devices: [{ id: 'default/a', name: 'a', attributes: { vendor: { value: 7 } } }] },
        'membership',
      ),
    /membership: added_devices\[0\]\.attributes\.vendor must be an object with a string "value"/,
  );
  assert.throws(
    () => parseMembershipUpdate({ added_devices: [{ id: 'default/a', name: 'a', attributes: [] }] }, 'm'),
    /"attributes" must be an object of name → attribute/,
  );
});
