// Devices end to end (issue 5's proof), with real processes, real kubectl and independent clients:
// `edgeproof up` (cloud and edge-1 with its embedded broker and mappers), `edgeproof sim modbus|opcua`
// as separate device processes, and KubeEdge's example DeviceModel/Device applied with kubectl
// (only node, address and cycles changed). Checked: reported values reach DeviceStatus within two
// collect cycles (plus delivery slack); a patched desired value is written by the mapper and read
// back from the simulator by mbpoll (Modbus) and by node-opcua-client (OPC UA); a client using only
// the documented MQTT topics (mosquitto_pub / mosquitto_sub) updates a twin and receives its delta;
// Modbus RTU over a serial line (a socat pty pair) reaches a pymodbus slave.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { AttributeIds, MessageSecurityMode, OPCUAClient, SecurityPolicy } from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { exampleManifestPaths } from '@edgeproof/crds';
import {
  eventually,
  exitOf,
  freePort,
  kubectl,
  kubectlOk,
  start,
  startProgram,
  up,
  type Running,
} from './support/cli.ts';

const exec = promisify(execFile);
/** A Modbus RTU slave from pymodbus (Debian's python3-pymodbus), an independent implementation. */
const RTU_SLAVE = join(dirname(fileURLToPath(import.meta.url)), 'support', 'rtu-slave.py');
/** Short cycles so the test is quick; "two collect cycles" is asserted against this. */
const CYCLE_MS = 1000;
/** Delivery from the mapper through edgecore, cloudhub and the API server, on a loaded CI machine. */
const DELIVERY_SLACK_MS = 3000;

let dir: string;
let kubeconfig: string;
let brokerPort: number;
let modbusPort: number;
const running: Running[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeproof-devices-'));
  const bench = await up([
    '--data-dir',
    dir,
    '--nodes',
    '1',
    '--devices',
    'none',
    '--apiserver-port',
    String(await freePort()),
    '--cloudhub-port',
    '0',
    '--certport',
    '0',
    '--mqtt-port',
    '0',
  ]);
  running.push(bench);
  kubeconfig = join(dir, 'kubeconfig');
  const broker = /edge-1 mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(bench.output());
  assert.ok(broker, `up prints the broker of edge-1:\n${bench.output()}`);
  brokerPort = Number(broker[1]);
});

after(async () => {
  for (const r of running.reverse()) {
    r.child.kill('SIGINT');
    await exitOf(r.child);
  }
  rmSync(dir, { recursive: true, force: true });
});

function example(file: string): Record<string, unknown> {
  const path = exampleManifestPaths().find((p) => p.endsWith(`/${file}`));
  assert.ok(path, file);
  return parseAllDocuments(readFileSync(path, 'utf8'))[0]?.toJS() as Record<string, unknown>;
}

type DeviceSpec = {
  nodeName: string;
  protocol: { configData: Record<string, unknown> };
  properties: Array<{ name: string; collectCycle: number; reportCycle: number; pushMethod?: unknown }>;
};

/** The example Device bound to edge-1 at `configData`, with short cycles and no extra push broker. */
function device(file: string, configData: Record<string, unknown>): { name: string; yaml: string } {
  const d = example(file) as { metadata: { name: string }; spec: DeviceSpec };
  d.spec.nodeName = 'edge-1';
  Object.assign(d.spec.protocol.configData, configData);
  for (const p of d.spec.properties) {
    p.collectCycle = CYCLE_MS;
    p.reportCycle = CYCLE_MS;
    delete p.pushMethod;
  }
  return { name: d.metadata.name, yaml: stringify(d) };
}

/** Coil 1 of the Modbus device on `port`, read by mbpoll (an independent Modbus client). */
async function readCoil1(port: number): Promise<number | undefined> {
  const { stdout } = await exec('mbpoll', [
    '-m',
    'tcp',
    '-a',
    '1',
    '-r',
    '1',
    '-c',
    '1',
    '-t',
    '0',
    '-1',
    '-p',
    String(port),
    '127.0.0.1',
  ]);
  const value = /\[1\]:\s+(\d)/.exec(stdout)?.[1];
  return value === undefined ? undefined : Number(value);
}

async function apply(name: string, yaml: string): Promise<void> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  await kubectlOk(kubeconfig, ['apply', '-f', file]);
}

type Twin = { propertyName: string; reported?: { value: string } };

async function reported(name: string, property: string): Promise<string | undefined> {
  const r = await kubectl(kubeconfig, ['get', 'devicestatus', name, '-o', 'jsonpath={.status.twins}']);
  if (r.code !== 0 || r.stdout === '') return undefined;
  return (JSON.parse(r.stdout) as Twin[]).find((t) => t.propertyName === property)?.reported?.value;
}

async function sim(protocol: 'modbus' | 'opcua', model: string, deviceFile: string): Promise<number> {
  const files = [model, deviceFile].map((f) => exampleManifestPaths().find((p) => p.endsWith(`/${f}`)));
  const r = await start([
    'sim',
    protocol,
    '--config',
    files.join(','),
    '--port',
    '0',
    '--control-port',
    'off',
  ]);
  running.push(r);
  const port = /ready on (?:opc\.tcp:\/\/)?127\.0\.0\.1:(\d+)/.exec(r.output());
  assert.ok(port, r.output());
  return Number(port[1]);
}

test('Modbus: reported values in DeviceStatus within two collect cycles; a patched desired value is written, read back by mbpoll', async () => {
  const port = await sim('modbus', 'modbus-device-model.yaml', 'modbus-device.yaml');
  modbusPort = port;
  await apply('modbus-model', JSON.stringify(example('modbus-device-model.yaml')));
  const d = device('modbus-device.yaml', { ip: '127.0.0.1', port: String(port) });
  const appliedAt = Date.now();
  await apply(d.name, d.yaml);
  await eventually(
    'the temperature in DeviceStatus',
    async () => (await reported(d.name, 'temperature')) !== undefined,
  );
  const took = Date.now() - appliedAt;
  assert.ok(took <= 2 * CYCLE_MS + DELIVERY_SLACK_MS, `first report took ${took} ms`);
  assert.equal(await reported(d.name, 'temperature-enable'), '1', 'the coil holds the desired 1');

  await kubectlOk(kubeconfig, [
    'patch',
    'device',
    d.name,
    '--type=json',
    '-p',
    '[{"op":"replace","path":"/spec/properties/1/desired/value","value":"0"}]',
  ]);
  await eventually('mbpoll to read coil 1 as 0', async () => {
    return (await readCoil1(port)) === 0;
  });
  await eventually(
    'the reported value to follow',
    async () => (await reported(d.name, 'temperature-enable')) === '0',
  );
});

test('Modbus RTU on a serial line: a pymodbus slave behind a socat pty pair; values in DeviceStatus, desired values reach the slave', async () => {
  // A pseudo-terminal pair stands in for the RS-485 adapter: the mapper opens one end as its serial
  // port (through node-serialport, as it would /dev/ttyUSB0), pymodbus serves the other.
  const master = join(dir, 'ttyMapper');
  const slaveEnd = join(dir, 'ttyDevice');
  running.push(
    await startProgram(
      'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${master}`, `pty,raw,echo=0,link=${slaveEnd}`],
      /starting data transfer loop/,
      { readyOn: 'any' },
    ),
  );
  const slave = await startProgram('/usr/bin/python3', [RTU_SLAVE, slaveEnd, '1', '215']);
  running.push(slave);
  await apply('modbus-model', JSON.stringify(example('modbus-device-model.yaml')));
  const d = device('modbus-device.yaml', {
    communicateMode: 'RTU',
    serialPort: master,
    baudRate: 19200,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    slaveID: 1,
  });
  const rtu = d.yaml
    .replace(`name: ${d.name}`, 'name: modbus-rtu-thermometer')
    .replace(/\n\s+ip: .*\n/, '\n')
    .replace(/\n\s+port: .*\n/, '\n');
  assert.doesNotMatch(rtu, /\bip: /, 'the RTU Device has no ip');
  await apply('modbus-rtu-thermometer', rtu);
  await eventually(
    'the temperature read over the serial line in DeviceStatus',
    async () => (await reported('modbus-rtu-thermometer', 'temperature')) === '21.5',
  );
  await eventually('the desired 1 to reach coil 0 of the slave', () => /write coil 0 1/.test(slave.output()));
  await kubectlOk(kubeconfig, [
    'patch',
    'device',
    'modbus-rtu-thermometer',
    '--type=json',
    '-p',
    '[{"op":"replace","path":"/spec/properties/1/desired/value","value":"0"}]',
  ]);
  await eventually('the patched 0 to reach coil 0 of the slave', () => /write coil 0 0/.test(slave.output()));
  await eventually(
    'the reported value to follow',
    async () => (await reported('modbus-rtu-thermometer', 'temperature-enable')) === '0',
  );
});

test('MQTT topics only: mosquitto_pub sets an expected value, mosquitto_sub receives the delta, the mapper writes it', async () => {
  const topic = '$hw/events/device/default/modbus-thermometer-01/twin/update';
  const sub = execFile('mosquitto_sub', [
    '-h',
    '127.0.0.1',
    '-p',
    String(brokerPort),
    '-t',
    `${topic}/delta`,
    '-C',
    '1',
    '-W',
    '20',
  ]);
  let deltaText = '';
  sub.stdout?.on('data', (d: Buffer) => (deltaText += d.toString()));
  const subExit = new Promise<number | null>((r) => sub.on('exit', (code) => r(code)));
  await new Promise((r) => setTimeout(r, 500)); // subscribed before the publish
  await exec('mosquitto_pub', [
    '-h',
    '127.0.0.1',
    '-p',
    String(brokerPort),
    '-q',
    '1',
    '-t',
    topic,
    '-m',
    JSON.stringify({
      event_id: 'from-mosquitto',
      timestamp: Date.now(),
      twin: { 'temperature-enable': { expected: { value: '1' } } },
    }),
  ]);
  assert.equal(await subExit, 0, 'mosquitto_sub got one message');
  const delta = JSON.parse(deltaText) as { delta: Record<string, string> };
  assert.equal(delta.delta['temperature-enable'], '1');
  await eventually('mbpoll to read coil 1 as 1 again', async () => {
    return (await readCoil1(modbusPort)) === 1;
  });
});

test('a report the API server refuses is refused to the edge, which drops it; reports flow again once the schema allows them', async () => {
  const bench = running[0];
  assert.ok(bench);
  const name = 'modbus-thermometer-01';
  const rv = async (): Promise<string> =>
    kubectlOk(kubeconfig, ['get', 'devicestatus', name, '-o', 'jsonpath={.metadata.resourceVersion}']);
  // A DeviceStatus schema stricter than KubeEdge's: reported values of at most 1 character, which
  // the thermometer's readings (21.5 and the like) are not.
  const maxLength =
    '/spec/versions/0/schema/openAPIV3Schema/properties/status/properties/twins/items/properties/reported/properties/value/maxLength';
  const crd = ['crd', 'devicestatuses.devices.kubeedge.io'];
  const patch = (op: object): Promise<string> =>
    kubectlOk(kubeconfig, ['patch', ...crd, '--type=json', '-p', JSON.stringify([op])]);
  const seen = bench.output().length;
  await patch({ op: 'add', path: maxLength, value: 1 });
  try {
    await eventually('the edge to drop a refused report, saying why', () =>
      /the cloud refused a report; it is dropped, not sent again .*Too long: may not be longer than 1/.test(
        bench.output().slice(seen),
      ),
    );
    assert.match(bench.output().slice(seen), /DeviceStatus refused by the API server/);
  } finally {
    await patch({ op: 'remove', path: maxLength });
  }
  const before = await rv();
  await eventually('DeviceStatus to be written again', async () => (await rv()) !== before);
});

test('OPC UA: reported values in DeviceStatus; a patched setpoint is written, read back by an independent OPC UA client', async () => {
  const port = await sim('opcua', 'opcua-device-model.yaml', 'opcua-device.yaml');
  await apply('opcua-model', JSON.stringify(example('opcua-device-model.yaml')));
  const d = device('opcua-device.yaml', { url: `opc.tcp://127.0.0.1:${port}` });
  const appliedAt = Date.now();
  await apply(d.name, d.yaml);
  await eventually(
    'the temperature in DeviceStatus',
    async () => (await reported(d.name, 'temperature')) !== undefined,
  );
  const took = Date.now() - appliedAt;
  assert.ok(
    took <= 2 * CYCLE_MS + DELIVERY_SLACK_MS + 2000,
    `first report took ${took} ms (OPC UA session setup included)`,
  );
  await kubectlOk(kubeconfig, [
    'patch',
    'device',
    d.name,
    '--type=json',
    '-p',
    '[{"op":"replace","path":"/spec/properties/1/desired/value","value":"72.5"}]',
  ]);
  const client = OPCUAClient.create({
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    clientCertificateManager: new OPCUACertificateManager({
      rootFolder: join(dir, 'opcua-client-pki'),
      automaticallyAcceptUnknownCertificate: true,
    }),
    connectionStrategy: { maxRetry: 0 },
  });
  await client.connect(`opc.tcp://127.0.0.1:${port}`);
  const session = await client.createSession();
  try {
    await eventually('the setpoint node to read 72.5', async () => {
      const v = await session.read({ nodeId: 'ns=1;s=Boiler.Setpoint', attributeId: AttributeIds.Value });
      return v.value.value === 72.5;
    });
  } finally {
    await session.close();
    await client.disconnect();
  }
  await eventually(
    'the reported setpoint to follow',
    async () => (await reported(d.name, 'setpoint')) === '72.5',
  );
});

test('standalone: `edgeproof mapper` serves a Device of a node joined with --mappers none', async () => {
  const bench = running[0];
  assert.ok(bench);
  const ports = /connect to port (\d+), certificates on port (\d+), join token in (\S+)/.exec(bench.output());
  assert.ok(ports, bench.output());
  const board = await start(
    [
      'join',
      '--cloudcore-ipport',
      `127.0.0.1:${ports[1]}`,
      '--certport',
      String(ports[2]),
      '--token',
      readFileSync(String(ports[3]), 'utf8').trim(),
      '--edgenode-name',
      'board-1',
      '--data-dir',
      join(dir, 'board-1'),
      '--metaserver-port',
      '0',
      '--mqtt-port',
      '0',
      '--mappers',
      'none',
    ],
    /ready: node board-1/,
  );
  running.push(board);
  const broker = /MQTT broker at (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(board.output());
  assert.ok(broker, board.output());
  const port = await sim('modbus', 'modbus-device-model.yaml', 'modbus-device.yaml');
  const d = device('modbus-device.yaml', { ip: '127.0.0.1', port: String(port) });
  const yaml = d.yaml
    .replace('nodeName: edge-1', 'nodeName: board-1')
    .replaceAll(d.name, 'modbus-thermometer-03');
  await apply('modbus-thermometer-03', yaml);
  const files = join(dir, 'standalone.yaml');
  writeFileSync(files, `${stringify(example('modbus-device-model.yaml'))}---\n${yaml}`);
  const mapper = await start([
    'mapper',
    '--config',
    files,
    '--mqtt-broker',
    broker[1] ?? '',
    '--node',
    'board-1',
  ]);
  running.push(mapper);
  assert.match(mapper.output(), /edgeproof mapper: default\/modbus-thermometer-03 \(modbus\)/);
  await eventually(
    'values from the standalone mapper',
    async () => (await reported('modbus-thermometer-03', 'temperature')) !== undefined,
  );
});

test('bad input: a Device whose visitor config is wrong is unhealthy in DeviceStatus with the reason; edgecore keeps serving the others', async () => {
  const d = device('modbus-device.yaml', { ip: '127.0.0.1', port: String(modbusPort) });
  const bad = d.yaml
    .replaceAll(d.name, 'modbus-thermometer-bad')
    .replace('register: HoldingRegister', 'register: BogusRegister');
  await apply('modbus-thermometer-bad', bad);
  await eventually('the bad Device to be unhealthy with a reason', async () => {
    const r = await kubectl(kubeconfig, [
      'get',
      'devicestatus',
      'modbus-thermometer-bad',
      '-o',
      'jsonpath={.status.state} {.status.extensions.stateReason}',
    ]);
    return r.code === 0 && /^unhealthy .*BogusRegister/.test(r.stdout);
  });
  const before = await reported(d.name, 'temperature');
  await eventually(
    'the good device to keep reporting',
    async () => (await reported(d.name, 'temperature')) !== before,
  );
});
