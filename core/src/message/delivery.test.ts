import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidInputError } from '../errors.ts';
import { ackKey, isNoAckMessage } from './delivery.ts';
import type { Message, MessageRoute } from './message.ts';

function msg(route: MessageRoute, content: unknown = null, id = 'm-1'): Message {
  return { header: { msg_id: id, timestamp: 1, resourceversion: '10' }, route, content };
}

const pod = (uid: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'nginx', namespace: 'default', uid },
});
const objectResp = { Object: { metadata: { name: 'edge-1' } }, Err: null };

// kubeedge-protocol.md §3.1, one row per rule, as cloudcore holds the message (resource still
// prefixed with node/<id>/). Source: message_dispatcher.go noAckRequired.
const CASES: Array<[string, MessageRoute, unknown, boolean]> = [
  // Resource substrings.
  [
    'pod list reply',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/default/podlist',
    },
    [],
    true,
  ],
  [
    'membership update',
    { source: 'devicecontroller', group: 'twin', operation: 'update', resource: 'node/e/membership' },
    {},
    true,
  ],
  [
    'membership detail reply',
    {
      source: 'devicecontroller',
      group: 'twin',
      operation: 'response',
      resource: 'node/e/membership/detail',
    },
    {},
    true,
  ],
  [
    'twin cloud_updated',
    {
      source: 'devicecontroller',
      group: 'twin',
      operation: 'update',
      resource: 'node/e/device/default/thermo/twin/cloud_updated',
    },
    {},
    true,
  ],
  [
    'SA token reply',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/default/serviceaccounttoken/sa',
    },
    {},
    true,
  ],
  [
    'kube CA reply',
    { source: 'cloudhub', group: 'resource', operation: 'response', resource: 'node/e/k8s/ca.crt' },
    '-----BEGIN',
    true,
  ],
  // Operations.
  [
    'CSI createvolume',
    { source: 'cloudhub', group: 'resource', operation: 'createvolume', resource: 'node/e/null/volume/v' },
    {},
    true,
  ],
  [
    'CSI deletevolume',
    { source: 'cloudhub', group: 'resource', operation: 'deletevolume', resource: 'node/e/null/volume/v' },
    {},
    true,
  ],
  [
    'CSI controllerpublishvolume',
    { operation: 'controllerpublishvolume', resource: 'node/e/null/volume/v' },
    {},
    true,
  ],
  [
    'CSI controllerunpublishvolume',
    { operation: 'controllerunpublishvolume', resource: 'node/e/null/volume/v' },
    {},
    true,
  ],
  [
    'metaserver application reply',
    {
      source: 'dynamiccontroller',
      group: 'dynamiccontroller',
      operation: 'applicationResponse',
      resource: 'node/e/ignore/Application/ignore',
    },
    {},
    true,
  ],
  // Group and source.
  [
    'router to eventbus',
    { source: 'router_eventbus', group: 'user', operation: 'publish', resource: 'node/e/topic' },
    'x',
    true,
  ],
  [
    'taskmanager',
    { source: 'taskmanager', group: 'taskmanager', operation: 'upgrade', resource: 'node/e/task/t' },
    {},
    true,
  ],
  [
    'node upgrade job',
    {
      source: 'nodeupgradejobcontroller',
      group: 'resource',
      operation: 'upgrade',
      resource: 'node/e/upgrade/j',
    },
    {},
    true,
  ],
  // Replies that only say OK, or carry an error.
  [
    'twin report ACK',
    { source: 'devicecontroller', group: 'twin', operation: 'response', resource: 'node/e/twin' },
    'OK',
    true,
  ],
  [
    'pod status reply',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/default/podstatus/nginx',
    },
    'OK',
    true,
  ],
  [
    'error reply',
    {
      source: 'dynamiccontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/default/service/web',
    },
    new Error('boom'),
    true,
  ],
  // edgecontroller by resource type (index 3).
  [
    'node register reply',
    { source: 'edgecontroller', group: 'resource', operation: 'response', resource: 'node/e/default/node/e' },
    objectResp,
    true,
  ],
  [
    'node delete',
    { source: 'edgecontroller', group: 'resource', operation: 'delete', resource: 'node/e/null/node/e' },
    {},
    true,
  ],
  [
    'node query reply',
    { source: 'edgecontroller', group: 'resource', operation: 'query', resource: 'node/e/null/node/e' },
    {},
    true,
  ],
  [
    'lease reply',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/kube-node-lease/lease/e',
    },
    objectResp,
    true,
  ],
  [
    'lease update',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'update',
      resource: 'node/e/kube-node-lease/lease/e',
    },
    {},
    true,
  ],
  [
    'nodepatch reply',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/default/nodepatch/e',
    },
    objectResp,
    true,
  ],
  [
    'podpatch reply',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/default/podpatch/nginx',
    },
    objectResp,
    true,
  ],
  [
    'podstatus non-OK reply',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/default/podstatus/nginx',
    },
    {},
    true,
  ],
  [
    'CSR reply',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/null/certificatesigningrequest/c',
    },
    {},
    true,
  ],
  [
    'pod delete reply',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/default/pod/nginx',
    },
    objectResp,
    true,
  ],

  // Everything else needs an ACK.
  [
    'pod insert',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'insert',
      resource: 'node/e/default/pod/nginx',
    },
    pod('u1'),
    false,
  ],
  [
    'pod update',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'update',
      resource: 'node/e/default/pod/nginx',
    },
    pod('u1'),
    false,
  ],
  [
    'pod delete',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'delete',
      resource: 'node/e/default/pod/nginx',
    },
    pod('u1'),
    false,
  ],
  [
    'configmap update',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'update',
      resource: 'node/e/default/configmap/cfg',
    },
    {},
    false,
  ],
  [
    'secret update',
    { source: 'edgecontroller', group: 'resource', operation: 'update', resource: 'node/e/default/secret/s' },
    {},
    false,
  ],
  // §3.1 "node other than update": node updates are ACKed.
  [
    'node update',
    { source: 'edgecontroller', group: 'resource', operation: 'update', resource: 'node/e/null/node/e' },
    {},
    false,
  ],
  [
    'configmap query reply with the object',
    {
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'node/e/default/configmap/cfg',
    },
    {},
    false,
  ],
  [
    'non-OK string reply from elsewhere',
    { source: 'devicecontroller', group: 'twin', operation: 'response', resource: 'node/e/twin' },
    'NOT OK',
    false,
  ],
  [
    'endpoints insert',
    {
      source: 'dynamiccontroller',
      group: 'resource',
      operation: 'insert',
      resource: 'node/e/default/endpoints/web',
    },
    {},
    false,
  ],
  [
    'device update',
    {
      source: 'devicecontroller',
      group: 'resource',
      operation: 'update',
      resource: 'node/e/default/device/thermo',
    },
    {},
    false,
  ],
  [
    'lease from another controller',
    {
      source: 'dynamiccontroller',
      group: 'resource',
      operation: 'update',
      resource: 'node/e/kube-node-lease/lease/e',
    },
    {},
    false,
  ],
  [
    'synccontroller delete',
    {
      source: 'synccontroller',
      group: 'resource',
      operation: 'delete',
      resource: 'node/e/default/pod/nginx',
    },
    pod('u1'),
    false,
  ],
  ['empty route', {}, null, false],
];

test('isNoAckMessage follows §3.1 case by case', () => {
  for (const [name, route, content, noAck] of CASES) {
    assert.equal(isNoAckMessage(msg(route, content)), noAck, name);
  }
});

test('NoAck messages are keyed by msg_id', () => {
  const m = msg(
    { source: 'devicecontroller', group: 'twin', operation: 'update', resource: 'node/e/membership' },
    {},
    'id-9',
  );
  assert.equal(ackKey(m), 'id-9');
});

test('Ack messages of group resource are keyed by object uid, so a newer version replaces an older one', () => {
  const route = {
    source: 'edgecontroller',
    group: 'resource',
    operation: 'update',
    resource: 'node/e/default/pod/nginx',
  };
  const older = msg(route, pod('uid-1'), 'id-1');
  const newer = msg(route, pod('uid-1'), 'id-2');
  assert.equal(ackKey(older), 'uid-1');
  assert.equal(ackKey(newer), ackKey(older));
});

test('Ack messages of other groups are keyed by msg_id', () => {
  const m = msg(
    { source: 'devicecontroller', group: 'twin', operation: 'response', resource: 'node/e/twin' },
    'NOT OK',
    'id-3',
  );
  assert.equal(ackKey(m), 'id-3');
});

test('an Ack resource message without a uid is refused with the message named', () => {
  const route = {
    source: 'edgecontroller',
    group: 'resource',
    operation: 'update',
    resource: 'node/e/default/configmap/cfg',
  };
  for (const content of [
    null,
    'text',
    {},
    { metadata: null },
    { metadata: { uid: '' } },
    { metadata: { uid: 7 } },
  ]) {
    assert.throws(
      () => ackKey(msg(route, content, 'id-4')),
      (err: unknown) =>
        err instanceof InvalidInputError &&
        /^message id-4 \(update node\/e\/default\/configmap\/cfg\) needs an ACK but its content has no metadata\.uid$/.test(
          err.message,
        ),
    );
  }
});
