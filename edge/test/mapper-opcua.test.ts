/**
 * The OPC UA mapper against a real node-opcua server (one per file, plus one that goes away), an
 * aedes broker and an MQTT recorder in edgecore's place. PKI folders live under a temp dir.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { DataType, StatusCodes, Variant } from 'node-opcua-client';
import { OPCUAServer } from 'node-opcua-server';
import { createLogger } from '@edgeproof/core';
import type { DeviceProperty } from '@edgeproof/crds';
import { MapperManager } from '../src/mappers/index.ts';
import {
  MqttRecorder,
  actualOf,
  device,
  deviceModel,
  eventually,
  startBroker,
  stateOf,
  type Recorded,
} from './mapper-fixtures.ts';

const CYCLE = 100;
const FAST_BACKOFF = { baseMs: 100, capMs: 400, floorMs: 50 };

type Values = { temperature: number; setpoint: number; running: boolean; level: number };

let root: string;
let server: OPCUAServer;
let url: string;
const values: Values = { temperature: 21.5, setpoint: 50, running: false, level: 1 };

async function startServer(port: number, pkiDir: string, v: Values): Promise<OPCUAServer> {
  const s = new OPCUAServer({
    port,
    serverCertificateManager: new OPCUACertificateManager({
      rootFolder: pkiDir,
      automaticallyAcceptUnknownCertificate: true,
    }),
    // Without this the server keeps its user-certificate store in ~/.config/node-opcua-default-nodejs.
    userCertificateManager: new OPCUACertificateManager({ rootFolder: join(pkiDir, 'user') }),
    userManager: {
      isValidUser: (user: string, password: string) => user === 'operator' && password === 'secret',
    },
    allowAnonymous: true,
  });
  await s.initialize();
  const addressSpace = s.engine.addressSpace;
  assert.ok(addressSpace);
  const ns = addressSpace.getOwnNamespace();
  const boiler = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Boiler' });
  const variable = (name: keyof Values, dataType: DataType, writable: boolean) =>
    ns.addVariable({
      componentOf: boiler,
      nodeId: `s=Boiler.${name[0]?.toUpperCase()}${name.slice(1)}`,
      browseName: name,
      dataType,
      minimumSamplingInterval: 50,
      value: {
        get: () => new Variant({ dataType, value: v[name] }),
        ...(writable
          ? {
              set: (variant: Variant) => {
                (v as Record<string, unknown>)[name] = variant.value;
                return StatusCodes.Good;
              },
            }
          : {}),
      },
    });
  variable('temperature', DataType.Double, false);
  variable('setpoint', DataType.Double, true);
  variable('running', DataType.Boolean, true);
  variable('level', DataType.Int32, false);
  await s.start();
  return s;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'mapper-opcua-'));
  server = await startServer(0, join(root, 'server-pki'), values);
  url = `opc.tcp://127.0.0.1:${server.endpoints[0]?.port}`;
});

after(async () => {
  await server.shutdown(0);
  await rm(root, { recursive: true, force: true });
});

const MODEL = deviceModel('boiler', 'opcua', [
  { name: 'temperature', type: 'DOUBLE', accessMode: 'ReadOnly' },
  { name: 'setpoint', type: 'DOUBLE', accessMode: 'ReadWrite', minimum: '20', maximum: '90' },
  { name: 'running', type: 'BOOLEAN', accessMode: 'ReadWrite' },
  { name: 'level', type: 'INT', accessMode: 'ReadOnly' },
]);

const prop = (name: string, configData: Record<string, unknown>): DeviceProperty => ({
  name,
  visitors: { protocolName: 'opcua', configData },
  collectCycle: CYCLE,
  reportCycle: CYCLE,
});

const PROPS = [
  prop('temperature', { nodeID: 'ns=1;s=Boiler.Temperature', browseName: 'Temperature' }),
  prop('setpoint', { nodeID: 'ns=1;s=Boiler.Setpoint' }),
  prop('running', { nodeID: 'ns=1;s=Boiler.Running' }),
  prop('level', { nodeID: 'ns=1;s=Boiler.Level', subscribe: true, samplingInterval: 50 }),
];

async function harness(t: TestContext) {
  const broker = await startBroker();
  const rec = await MqttRecorder.connect(broker.url);
  const dataDir = await mkdtemp(join(root, 'data-'));
  const logs: string[] = [];
  const manager = new MapperManager({
    mqttUrl: broker.url,
    dataDir,
    backoff: FAST_BACKOFF,
    logger: createLogger('mappers', { level: 'debug', write: (line) => logs.push(line) }),
  });
  await manager.start();
  t.after(async () => {
    await manager.stop();
    await rec.close();
    await broker.close();
  });
  return { rec, manager, logs, dataDir };
}

const topic = (name: string) => `$hw/events/device/default/${name}`;
const isState = (name: string, state: string) => (m: Recorded) =>
  m.topic === `${topic(name)}/state/update` && stateOf(m) === state;

test('polled and subscribed properties reach twin/update; the PKI stays under the data dir', async (t) => {
  const { rec, manager, dataDir } = await harness(t);
  const cwdBefore = await readdir(process.cwd());
  // Longer cycles here, so timer jitter on a loaded machine is small against the two-cycle bound.
  const cycle = 250;
  const props = PROPS.map((p) => ({ ...p, collectCycle: cycle, reportCycle: cycle }));
  const status = await manager.upsertDevice(
    device('boiler-1', 'boiler', 'opcua', { url, timeout: 2000 }, props),
    MODEL,
  );
  assert.equal(status.error, undefined);
  const online = await rec.waitFor(isState('boiler-1', 'online'), 10_000);
  const first = await rec.waitFor((m) => actualOf(m, 'temperature') !== undefined);
  t.diagnostic(`first twin/update ${first.at - online.at} ms after online (cycle ${cycle} ms)`);
  assert.ok(first.at - online.at <= 2 * cycle);
  const twin = (
    first.json as { twin: Record<string, { actual: { value: string }; metadata: { type: string } }> }
  ).twin;
  assert.equal(twin['temperature']?.actual.value, '21.5');
  assert.equal(twin['temperature']?.metadata.type, 'double');
  // A report carries what was read since the last one, so the other properties may come in the next.
  await rec.waitFor((m) => actualOf(m, 'setpoint') === '50');
  await rec.waitFor((m) => actualOf(m, 'running') === 'false');
  await rec.waitFor((m) => actualOf(m, 'level') === '1');
  const changedAt = Date.now();
  values.level = 7;
  const seen = await rec.waitFor((m) => actualOf(m, 'level') === '7', 3000);
  t.diagnostic(`subscribed change reported ${seen.at - changedAt} ms after the server value changed`);
  // node-opcua's PKI is under <dataDir>/opcua/pki, and nothing new appeared in the working directory.
  assert.ok(existsSync(join(dataDir, 'opcua', 'pki', 'own')), 'PKI folder under the data dir');
  assert.deepEqual((await readdir(process.cwd())).sort(), cwdBefore.sort());
});

test('deltas are written to the nodes with the DeviceModel type; ReadOnly is refused', async (t) => {
  const { rec, manager, logs } = await harness(t);
  await manager.upsertDevice(device('boiler-2', 'boiler', 'opcua', { url }, PROPS), MODEL);
  await rec.waitFor(isState('boiler-2', 'online'), 10_000);
  const from = rec.messages.length;
  await rec.publish(`${topic('boiler-2')}/twin/update/delta`, {
    event_id: 'd1',
    timestamp: Date.now(),
    twin: { setpoint: { expected: { value: '65' } }, running: { expected: { value: 'true' } } },
    delta: { setpoint: '65', running: 'true', temperature: '99' },
  });
  await eventually(() => {
    assert.equal(values.setpoint, 65);
    assert.equal(values.running, true);
  });
  assert.equal(values.temperature, 21.5);
  await rec.waitFor((m) => actualOf(m, 'setpoint') === '65', 3000, from);
  await rec.waitFor((m) => actualOf(m, 'running') === 'true', 3000, from);
  await eventually(() =>
    assert.ok(logs.some((l) => /write refused: property "temperature" is ReadOnly/.test(l))),
  );
  // A node of another type refuses the model's type: logged with the status code.
  await manager.upsertDevice(
    device('boiler-2', 'boiler', 'opcua', { url }, [prop('running', { nodeID: 'ns=1;s=Boiler.Setpoint' })]),
    MODEL,
  );
  await rec.publish(`${topic('boiler-2')}/twin/update/delta`, {
    event_id: 'd2',
    timestamp: Date.now(),
    twin: {},
    delta: { running: 'false' },
  });
  await eventually(() => assert.ok(logs.some((l) => /write failed .*BadTypeMismatch/.test(l))), 5000);
  values.running = false;
  values.setpoint = 50;
});

test('user name authentication over Basic256Sha256 SignAndEncrypt; a wrong password keeps the device offline', async (t) => {
  const { rec, manager } = await harness(t);
  const secure = {
    url,
    securityPolicy: 'Basic256Sha256',
    securityMode: 'SignAndEncrypt',
    userName: 'operator',
    password: 'secret',
  };
  await manager.upsertDevice(device('secure-1', 'boiler', 'opcua', secure, PROPS.slice(0, 1)), MODEL);
  await rec.waitFor(isState('secure-1', 'online'), 10_000);
  await rec.waitFor(
    (m) => m.topic === `${topic('secure-1')}/twin/update` && actualOf(m, 'temperature') === '21.5',
  );
  await manager.upsertDevice(
    device('wrong-1', 'boiler', 'opcua', { ...secure, password: 'guess' }, PROPS.slice(0, 1)),
    MODEL,
  );
  await rec.waitFor(isState('wrong-1', 'offline'), 10_000);
  const status = manager.deviceStatus('default', 'wrong-1');
  assert.equal(status?.connected, false);
  assert.match(status?.lastError ?? '', /Bad/);
  t.diagnostic(`wrong password: ${status?.lastError}`);
});

test('an unknown node makes the device unhealthy; a malformed node id is a config error; another device keeps working', async (t) => {
  const { rec, manager } = await harness(t);
  const bad = await manager.upsertDevice(
    device('typo-1', 'boiler', 'opcua', { url }, [
      prop('temperature', { nodeID: 'ns=1,s=Boiler.Temperature' }),
    ]),
    MODEL,
  );
  assert.match(
    bad.error ?? '',
    /nodeID "ns=1,s=Boiler\.Temperature" is not an OPC UA node id.*semicolon, not a comma/,
  );
  const insecure = await manager.upsertDevice(
    device('pair-1', 'boiler', 'opcua', { url, securityPolicy: 'Basic256Sha256', securityMode: 'None' }, []),
    MODEL,
  );
  assert.match(
    insecure.error ?? '',
    /securityMode None with securityPolicy Basic256Sha256 is not a valid pair/,
  );
  await manager.upsertDevice(
    device('missing-1', 'boiler', 'opcua', { url }, [
      prop('temperature', { nodeID: 'ns=1;s=Boiler.Temperature' }),
      prop('level', { nodeID: 'ns=1;s=Boiler.Nope', subscribe: true }),
      prop('setpoint', { nodeID: 'ns=1;s=Boiler.Gone' }),
    ]),
    MODEL,
  );
  await manager.upsertDevice(device('boiler-3', 'boiler', 'opcua', { url }, PROPS.slice(0, 1)), MODEL);
  await rec.waitFor(isState('typo-1', 'unhealthy'));
  await rec.waitFor(isState('missing-1', 'unhealthy'), 10_000);
  // The monitored item fails while connecting, the polled read in the first collect round.
  await eventually(() => {
    const status = manager.deviceStatus('default', 'missing-1');
    assert.equal(status?.connected, true);
    assert.match(status?.properties['setpoint']?.error ?? '', /BadNodeIdUnknown/);
    assert.match(status?.properties['level']?.error ?? '', /BadNodeIdUnknown/);
  });
  await rec.waitFor(
    (m) => m.topic === `${topic('missing-1')}/twin/update` && actualOf(m, 'temperature') === '21.5',
  );
  await rec.waitFor(
    (m) => m.topic === `${topic('boiler-3')}/twin/update` && actualOf(m, 'temperature') === '21.5',
  );
});

test('the server going away turns the device offline; it is online again after the server returns', async (t) => {
  const { rec, manager } = await harness(t);
  const own: Values = { temperature: 30, setpoint: 50, running: false, level: 1 };
  const pki = join(root, 'server2-pki');
  let second = await startServer(0, pki, own);
  const port = second.endpoints[0]?.port ?? 0;
  t.after(() => second.shutdown(0));
  const props = [PROPS[0] as DeviceProperty, PROPS[3] as DeviceProperty];
  await manager.upsertDevice(
    device('boiler-4', 'boiler', 'opcua', { url: `opc.tcp://127.0.0.1:${port}`, timeout: 1000 }, props),
    MODEL,
  );
  await rec.waitFor(isState('boiler-4', 'online'), 10_000);
  const goneAt = Date.now();
  await second.shutdown(0);
  const offline = await rec.waitFor(isState('boiler-4', 'offline'), 5000);
  t.diagnostic(`offline reported ${offline.at - goneAt} ms after the server shut down`);
  own.temperature = 31;
  const returnedAt = Date.now();
  second = await startServer(port, pki, own);
  const from = rec.messages.indexOf(offline);
  const online = await rec.waitFor(isState('boiler-4', 'online'), 10_000, from);
  t.diagnostic(`online again ${online.at - returnedAt} ms after the server was restarted`);
  await rec.waitFor((m) => actualOf(m, 'temperature') === '31', 3000, from);
  // The subscription was made again on the new session.
  own.level = 9;
  await rec.waitFor((m) => actualOf(m, 'level') === '9', 3000, from);
});
