// DeviceController (kubeedge-protocol.md §7.4, §8.1) over real sockets: the embedded API server
// with KubeEdge's CRDs, a real HubServer wired to the Downstream and Device controllers the way
// cloudcore wires them, a fake edge node, and the example Device and DeviceModel applied with real
// kubectl. Checked: the objects arrive ACKed, membership and desired values go down, twin reports
// and states land in DeviceStatus, `membership/detail` is answered, bad reports are refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import {
  SystemClock,
  createLogger,
  messageBuilder,
  silentLogger,
  type MembershipDetail,
  type MembershipUpdate,
  type DeviceTwinUpdate,
  type Message,
} from '@edgeproof/core';
import { exampleManifestPaths, kubeEdgeCrds } from '@edgeproof/crds';
import { HubServer } from '../src/cloudhub/hub-server.ts';
import { DownstreamController } from '../src/edgecontroller/downstream.ts';
import { DeviceController } from '../src/devicecontroller/devicecontroller.ts';
import type { CertificateAuthority } from '../src/pki/pki.ts';
import { testHubCredentials } from './support/hub-credentials.ts';
import { FakeEdge } from './support/fake-edge.ts';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

const logger = process.env.EDGEPROOF_TEST_LOG ? createLogger('test', { level: 'debug' }) : silentLogger();
const HOST = '127.0.0.1';
const NODE = 'edge-1';
const DEVICE = 'modbus-thermometer-01';
const clock = new SystemClock();
const build = messageBuilder({ clock });

let f: Fixture;
let ca: CertificateAuthority;
let hub: HubServer;
let downstream: DownstreamController;
let devices: DeviceController;
let edge: FakeEdge;

function example(name: string): string {
  const path = exampleManifestPaths().find((p) => p.endsWith(name));
  assert.ok(path, name);
  return readFileSync(path, 'utf8').replace('nodeName: edge-node-1', `nodeName: ${NODE}`);
}

before(async () => {
  f = await startApiServer({ initialObjects: kubeEdgeCrds() });
  const hubCredentials = await testHubCredentials(clock, HOST);
  ca = hubCredentials.ca;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(f.kubeconfig);
  downstream = new DownstreamController({ kubeConfig, clock, logger });
  devices = new DeviceController({ kubeConfig, clock, logger, session: (n) => hub.session(n) });
  hub = new HubServer({
    credentials: hubCredentials.credentials,
    clock,
    logger,
    port: 0,
    host: HOST,
    keepaliveTimeoutMs: 600_000,
    events: {
      onConnect: (session) => downstream.nodeConnected(session),
      onDisconnect: (nodeId, _reason, session) => downstream.nodeDisconnected(nodeId, session),
      onMessage: (session, message) => {
        if (downstream.handleUpstream(session.nodeId, message)) return;
        if (DeviceController.handles(message)) void devices.handle(session, message);
      },
    },
  });
  await hub.start();
  await downstream.start();
  await devices.start();
  await f.kubectlOk(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE, labels: { 'node-role.kubernetes.io/edge': '' } },
    }),
  );
  edge = new FakeEdge(
    { ca, host: HOST, port: () => hub.port(), clock, hasSession: (n) => hub.session(n) !== undefined },
    NODE,
  );
  await edge.connect();
});

after(async () => {
  edge?.close();
  await hub.stop();
  await devices.stop();
  await downstream.stop();
  await f.stop();
});

async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The edge's upstream message, in the edge form (cloudhub adds `node/<id>/`, §1.3). */
function upstream(resource: string, content: unknown, operation = 'update'): Message {
  const m = build.newMessage({
    source: 'twin',
    group: 'resource',
    operation: operation as 'update',
    resource,
    content,
  });
  return m;
}

type StatusObject = {
  metadata: { ownerReferences?: Array<{ kind: string; name: string; uid: string }> };
  status?: {
    state?: string;
    twins?: Array<{
      propertyName: string;
      reported?: { value: string; metadata?: Record<string, string> };
      observedDesired?: { value: string };
    }>;
  };
};

async function deviceStatus(): Promise<StatusObject | undefined> {
  const r = await f.kubectl(['get', 'devicestatuses', DEVICE, '-n', 'default', '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as StatusObject) : undefined;
}

/** Sends `message` from the fake edge (hub-side resource form) and waits for the reply to it. */
async function request(message: Message): Promise<Message> {
  const from = edge.received.length;
  edge.send(message);
  const reply = await eventually('the reply', () =>
    edge.received.slice(from).find((r) => r.message.header.parent_msg_id === message.header.msg_id),
  );
  return reply.message;
}

test('a Device bound to the node arrives with its model (ACKed, ObjectSynced) and as a membership update with its desired values', async () => {
  await f.kubectlOk(['apply', '-f', '-'], example('modbus-device-model.yaml'));
  await f.kubectlOk(['apply', '-f', '-'], example('modbus-device.yaml'));
  await eventually('the DeviceModel and Device inserts', () =>
    edge.find(0, 'insert', 'default/devicemodel/modbus-thermometer').length > 0 &&
    edge.find(0, 'insert', `default/device/${DEVICE}`).length > 0
      ? true
      : undefined,
  );
  const membership = await eventually('the membership update', () => edge.find(0, 'update', 'membership')[0]);
  const content = membership.message.content as MembershipUpdate;
  assert.equal(membership.message.route.group, 'twin');
  assert.equal(content.added_devices[0]?.id, `default/${DEVICE}`);
  const twin = content.added_devices[0]?.twin?.['temperature-enable'];
  assert.equal(twin?.expected?.value, '1');
  assert.ok((twin?.expected_version?.cloud ?? 0) > 0, 'cloud version is the Device resourceVersion');
  await eventually('the Device ObjectSync', async () => {
    const out = await f.kubectlOk(['get', 'objectsyncs', '-n', 'default', '-o', 'json']);
    const items = (
      JSON.parse(out) as {
        items: Array<{ spec: { objectKind: string }; status?: { objectResourceVersion?: string } }>;
      }
    ).items;
    return items.some((i) => i.spec.objectKind === 'Device' && i.status?.objectResourceVersion)
      ? true
      : undefined;
  });
});

test('patching a desired value sends twin/cloud_updated with the new expected value', async () => {
  const from = edge.received.length;
  await f.kubectlOk([
    'patch',
    'device',
    DEVICE,
    '-n',
    'default',
    '--type=json',
    '-p',
    '[{"op":"replace","path":"/spec/properties/1/desired/value","value":"0"}]',
  ]);
  const msg = await eventually(
    'twin/cloud_updated',
    () => edge.find(from, 'update', `device/default/${DEVICE}/twin/cloud_updated`)[0],
  );
  const update = msg.message.content as DeviceTwinUpdate;
  assert.equal(update.twin['temperature-enable']?.expected?.value, '0');
});

test('twin reports and state updates land in DeviceStatus, owned by the Device, and are ACKed', async () => {
  const report = upstream(`device/default/${DEVICE}/twin/edge_updated`, {
    event_id: 'r1',
    timestamp: 1000,
    twin: {
      temperature: { actual: { value: '21.5', metadata: { timestamp: 999 } }, metadata: { type: 'float' } },
      'temperature-enable': { actual: { value: '0' }, expected: { value: '0' }, metadata: { type: 'int' } },
      'not-a-property': { actual: { value: '1' } },
    },
  });
  const ack = await request(report);
  assert.deepEqual(ack.route, {
    source: 'devicecontroller',
    group: 'twin',
    operation: 'response',
    resource: 'twin',
  });
  assert.equal(ack.content, 'OK');
  const status = await eventually('DeviceStatus', deviceStatus);
  assert.equal(status.metadata.ownerReferences?.[0]?.kind, 'Device');
  const twins = new Map(status.status?.twins?.map((t) => [t.propertyName, t]));
  assert.equal(twins.get('temperature')?.reported?.value, '21.5');
  assert.deepEqual(twins.get('temperature')?.reported?.metadata, { timestamp: '999', type: 'float' });
  assert.equal(twins.get('temperature-enable')?.observedDesired?.value, '0');
  assert.ok(!twins.has('not-a-property'), 'only properties the Device defines are written');

  await request(
    upstream(`device/default/${DEVICE}/state/update`, {
      event_id: 's1',
      timestamp: 1001,
      device: { name: DEVICE, state: 'online', last_online: '2026-12-02 01:00:00' },
    }),
  );
  const online = await eventually('state online', async () => {
    const s = await deviceStatus();
    return s?.status?.state === 'online' ? s : undefined;
  });
  assert.equal(online.status?.twins?.length, 2, 'a state update keeps the twins');
  // The printer columns edgeproof adds (crds/manifests): live values in `kubectl get`.
  const table = await f.kubectlOk(['get', 'devicestatuses', '-n', 'default']);
  assert.match(table, /NAME\s+STATE\s+REPORTED\s+REASON\s+AGE/);
  assert.match(table, new RegExp(`${DEVICE}\\s+online\\s+temperature=21.5,temperature-enable=0\\s`));
  // A mapper's reason for an unhealthy device is kept beside the state, and goes once it is online.
  await request(
    upstream(`device/default/${DEVICE}/state/update`, {
      event_id: 's2',
      timestamp: 1002,
      device: {
        name: DEVICE,
        state: 'unhealthy',
        reason: 'register 0: Modbus exception 2 (illegal address)',
      },
    }),
  );
  await eventually('the reason in DeviceStatus', async () => {
    const t = await f.kubectlOk(['get', 'devicestatuses', '-n', 'default']);
    return /unhealthy\s+.*register 0: Modbus exception 2/.test(t) ? true : undefined;
  });
  await request(
    upstream(`device/default/${DEVICE}/state/update`, {
      event_id: 's3',
      timestamp: 1003,
      device: { name: DEVICE, state: 'online' },
    }),
  );
  await eventually('the reason gone once online', async () => {
    const s = (await deviceStatus()) as
      { status?: { state?: string; extensions?: Record<string, unknown> } } | undefined;
    return s?.status?.state === 'online' && s.status.extensions?.['stateReason'] === undefined
      ? true
      : undefined;
  });
  const devicesTable = await f.kubectlOk(['get', 'devices', '-n', 'default']);
  assert.match(devicesTable, new RegExp(`${DEVICE}\\s+${NODE}\\s+modbus-thermometer\\s+modbus`));
});

test("membership/detail is answered with the node's devices and their desired values", async () => {
  const ask = build.newMessage({
    source: 'twin',
    group: 'twin',
    operation: 'get',
    resource: 'membership/detail',
    content: { event_id: 'd', timestamp: 1 },
  });
  const reply = await request(ask);
  assert.equal(reply.route.resource, 'membership/detail');
  const detail = reply.content as MembershipDetail;
  assert.deepEqual(
    detail.devices.map((d) => d.id),
    [`default/${DEVICE}`],
  );
  assert.equal(detail.devices[0]?.twin?.['temperature-enable']?.expected?.value, '0');
});

test('a report from another node or with bad content is refused with an error, and the controller keeps working', async () => {
  const other = new FakeEdge(
    { ca, host: HOST, port: () => hub.port(), clock, hasSession: (n) => hub.session(n) !== undefined },
    'edge-2',
  );
  await other.connect();
  try {
    const forged = upstream(`device/default/${DEVICE}/twin/edge_updated`, {
      twin: { temperature: { actual: { value: '99' } } },
    });
    other.send(forged);
    const refused = await eventually('the refusal', () =>
      other.received.find((r) => r.message.header.parent_msg_id === forged.header.msg_id),
    );
    assert.equal(refused.message.route.operation, 'error');
    assert.match(String(refused.message.content), /not bound to node edge-2/);
  } finally {
    other.close();
  }
  const bad = await request(
    upstream(
      `device/default/${DEVICE}/twin/edge_updated`,
      '{"twin": {"temperature": {"actual": {"value": 5}}}}',
    ),
  );
  assert.equal(bad.route.operation, 'error');
  assert.match(String(bad.content), /value must be a string/);
  const s = await deviceStatus();
  assert.equal(s?.status?.twins?.find((t) => t.propertyName === 'temperature')?.reported?.value, '21.5');
  const ok = await request(
    upstream(`device/default/${DEVICE}/twin/edge_updated`, {
      twin: { temperature: { actual: { value: '22' } } },
    }),
  );
  assert.equal(ok.content, 'OK');
});

test('a report the API server refuses for its content is answered with an error naming why, not left to resend', async () => {
  // An operator's stricter DeviceStatus schema: reported values of at most 8 characters.
  const valuePath =
    '/spec/versions/0/schema/openAPIV3Schema/properties/status/properties/twins/items/properties/reported/properties/value/maxLength';
  const crd = ['crd', 'devicestatuses.devices.kubeedge.io'];
  await f.kubectlOk([
    'patch',
    ...crd,
    '--type=json',
    '-p',
    JSON.stringify([{ op: 'add', path: valuePath, value: 8 }]),
  ]);
  try {
    const refused = await request(
      upstream(`device/default/${DEVICE}/twin/edge_updated`, {
        twin: { temperature: { actual: { value: 'a-value-far-too-long' } } },
      }),
    );
    assert.equal(refused.route.operation, 'error');
    assert.match(
      String(refused.content),
      new RegExp(`DeviceStatus default/${DEVICE} not written: .*Too long: may not be longer than 8`),
    );
    const s = await deviceStatus();
    assert.equal(s?.status?.twins?.find((t) => t.propertyName === 'temperature')?.reported?.value, '22');
  } finally {
    await f.kubectlOk([
      'patch',
      ...crd,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'remove', path: valuePath }]),
    ]);
  }
  const ok = await request(
    upstream(`device/default/${DEVICE}/twin/edge_updated`, {
      twin: { temperature: { actual: { value: '23' } } },
    }),
  );
  assert.equal(ok.content, 'OK', 'the next report, within the schema, is written and ACKed');
});

test('deleting the Device removes it from the membership and from the edge', async () => {
  const from = edge.received.length;
  await f.kubectlOk(['delete', 'device', DEVICE, '-n', 'default']);
  const m = await eventually('membership removal', () => edge.find(from, 'update', 'membership')[0]);
  assert.equal((m.message.content as MembershipUpdate).removed_devices[0]?.id, `default/${DEVICE}`);
  await eventually('the Device delete', () => edge.find(from, 'delete', `default/device/${DEVICE}`)[0]);
});
