// The OPC UA simulator over real sockets with node-opcua-client: read, write, subscriptions that see
// a sine move, username authentication over Basic256Sha256, and the fault modes. One server for
// most of the file (its start creates a key and certificate); PKI folders live in temp dirs.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttributeIds,
  ClientSecureChannelLayer,
  DataType,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  UserTokenType,
  type ClientSession,
  type UserIdentityInfo,
} from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { silentLogger } from '@edgeproof/core';
import { OpcUaSimulator } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeproof-opcua-test-'));
const sim = new OpcUaSimulator({
  port: 0,
  name: 'boiler',
  dataDir: join(dir, 'server'),
  users: [{ username: 'operator', password: 'secret' }],
  logger: silentLogger(),
  points: [
    {
      name: 'temperature',
      nodeId: 'ns=1;s=Boiler.Temperature',
      dataType: 'Double',
      signal: { kind: 'sine', offset: 60, amplitude: 10, period: 2000 },
    },
    {
      name: 'setpoint',
      nodeId: 'ns=1;s=Boiler.Setpoint',
      dataType: 'Double',
      writable: true,
      signal: { kind: 'constant', value: 65 },
    },
    {
      name: 'running',
      nodeId: 'ns=1;s=Boiler.Running',
      dataType: 'Boolean',
      writable: true,
      signal: { kind: 'constant', value: true },
    },
    { name: 'starts', nodeId: 'ns=1;i=1001', dataType: 'UInt16', signal: { kind: 'constant', value: 70000 } },
    {
      name: 'state',
      nodeId: 'ns=1;s=Boiler.State',
      dataType: 'String',
      signal: { kind: 'constant', value: 'heating' },
    },
  ],
});
const clientPki = new OPCUACertificateManager({
  rootFolder: join(dir, 'client'),
  automaticallyAcceptUnknownCertificate: true,
});
let startMs = 0;

type Connected = { client: OPCUAClient; session: ClientSession; close: () => Promise<void> };

async function connect(
  options: {
    secure?: boolean;
    user?: UserIdentityInfo;
    transactionTimeoutMs?: number;
    endpoint?: string;
  } = {},
): Promise<Connected> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    securityMode: options.secure ? MessageSecurityMode.SignAndEncrypt : MessageSecurityMode.None,
    securityPolicy: options.secure ? SecurityPolicy.Basic256Sha256 : SecurityPolicy.None,
    clientCertificateManager: clientPki,
    connectionStrategy: { maxRetry: 0 },
    ...(options.transactionTimeoutMs ? { defaultTransactionTimeout: options.transactionTimeoutMs } : {}),
  });
  await client.connect(options.endpoint ?? sim.endpoint() ?? '');
  try {
    const session = await client.createSession(options.user);
    return {
      client,
      session,
      close: async () => {
        await session.close().catch(() => {});
        await client.disconnect();
      },
    };
  } catch (err) {
    await client.disconnect();
    throw err;
  }
}

const read = (s: ClientSession, nodeId: string) => s.read({ nodeId, attributeId: AttributeIds.Value });

let anon: Connected;

before(async () => {
  const t0 = performance.now();
  await sim.start();
  startMs = performance.now() - t0;
  anon = await connect();
});
after(async () => {
  await anon.close();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => sim.clearFault());

test('starts fast on an ephemeral port with its PKI under dataDir', () => {
  assert.match(sim.endpoint() ?? '', /^opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(startMs < 10_000, `start took ${Math.round(startMs)} ms`);
});

test('reads serve each point as its DataType holds it', async () => {
  const temperature = await read(anon.session, 'ns=1;s=Boiler.Temperature');
  assert.equal(temperature.statusCode, StatusCodes.Good);
  assert.equal(temperature.value.dataType, DataType.Double);
  const t = temperature.value.value as number;
  assert.ok(t >= 50 && t <= 70, `sine value ${t}`);
  const running = await read(anon.session, 'ns=1;s=Boiler.Running');
  assert.equal(running.value.value, true);
  const starts = await read(anon.session, 'ns=1;i=1001');
  assert.equal(starts.value.dataType, DataType.UInt16);
  assert.equal(starts.value.value, 65535, 'saturated at the UInt16 range');
  const state = await read(anon.session, 'ns=1;s=Boiler.State');
  assert.equal(state.value.value, 'heating');
});

test('writes to writable points hold; read-only points refuse', async () => {
  const ok = await anon.session.write({
    nodeId: 'ns=1;s=Boiler.Setpoint',
    attributeId: AttributeIds.Value,
    value: { value: { dataType: DataType.Double, value: 72.5 } },
  });
  assert.equal(ok, StatusCodes.Good);
  assert.equal(sim.value('setpoint'), 72.5);
  assert.equal((await read(anon.session, 'ns=1;s=Boiler.Setpoint')).value.value, 72.5);
  const refused = await anon.session.write({
    nodeId: 'ns=1;s=Boiler.Temperature',
    attributeId: AttributeIds.Value,
    value: { value: { dataType: DataType.Double, value: 1 } },
  });
  assert.notEqual(refused, StatusCodes.Good);
  assert.match(refused.name, /BadNotWritable|BadUserAccessDenied/);
  sim.setSignal('setpoint', { kind: 'constant', value: 65 });
});

test('a monitored item sampled every 100 ms sees the sine change', async () => {
  const subscription = await anon.session.createSubscription2({
    requestedPublishingInterval: 100,
    requestedMaxKeepAliveCount: 10,
    requestedLifetimeCount: 100,
    publishingEnabled: true,
  });
  try {
    const item = await subscription.monitor(
      { nodeId: 'ns=1;s=Boiler.Temperature', attributeId: AttributeIds.Value },
      { samplingInterval: 100, queueSize: 10, discardOldest: true },
      TimestampsToReturn.Both,
    );
    const seen: number[] = [];
    item.on('changed', (dv) => seen.push(dv.value.value as number));
    await new Promise((r) => setTimeout(r, 900));
    assert.ok(new Set(seen).size >= 4, `saw ${seen.length} notifications: ${seen.join(', ')}`);
    assert.ok(seen.every((v) => v >= 50 && v <= 70));
  } finally {
    await subscription.terminate();
  }
});

test('username and password over Basic256Sha256/SignAndEncrypt: accepted when right, rejected when wrong', async () => {
  const good = await connect({
    secure: true,
    user: { type: UserTokenType.UserName, userName: 'operator', password: 'secret' },
  });
  try {
    assert.equal((await read(good.session, 'ns=1;s=Boiler.Running')).statusCode, StatusCodes.Good);
  } finally {
    await good.close();
  }
  await assert.rejects(
    connect({
      secure: true,
      user: { type: UserTokenType.UserName, userName: 'operator', password: 'wrong' },
    }),
    /BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid/,
  );
});

test('with allowAnonymous false, only listed users get a session', async () => {
  const locked = new OpcUaSimulator({
    port: 0,
    dataDir: join(dir, 'locked'),
    allowAnonymous: false,
    users: [{ username: 'mapper', password: 'pw' }],
    logger: silentLogger(),
    points: [{ name: 'x', nodeId: 'ns=1;s=X', dataType: 'Int32', signal: { kind: 'constant', value: 7 } }],
  });
  await locked.start();
  try {
    const endpoint = locked.endpoint() ?? '';
    await assert.rejects(connect({ endpoint }), /ANONYMOUS|BadIdentityToken|BadUserAccessDenied/);
    const user = await connect({
      endpoint,
      user: { type: UserTokenType.UserName, userName: 'mapper', password: 'pw' },
    });
    try {
      assert.equal((await read(user.session, 'ns=1;s=X')).value.value, 7);
    } finally {
      await user.close();
    }
  } finally {
    await locked.stop();
  }
});

test('fault bad-status: reads return BadCommunicationError, for all points or the named ones', async () => {
  sim.setFault({ mode: 'bad-status' });
  assert.equal(
    (await read(anon.session, 'ns=1;s=Boiler.Temperature')).statusCode,
    StatusCodes.BadCommunicationError,
  );
  const write = await anon.session.write({
    nodeId: 'ns=1;s=Boiler.Setpoint',
    attributeId: AttributeIds.Value,
    value: { value: { dataType: DataType.Double, value: 1 } },
  });
  assert.equal(write, StatusCodes.BadCommunicationError);
  assert.equal(sim.value('setpoint'), 65, 'a failed write is not applied');
  sim.setFault({ mode: 'bad-status', statusCode: 'BadDeviceFailure', points: ['running'] });
  assert.equal((await read(anon.session, 'ns=1;s=Boiler.Running')).statusCode, StatusCodes.BadDeviceFailure);
  assert.equal((await read(anon.session, 'ns=1;s=Boiler.Temperature')).statusCode, StatusCodes.Good);
  assert.throws(
    () => sim.setFault({ mode: 'bad-status', statusCode: 'BadNoSuchThing' }),
    /not an OPC UA Bad status code/,
  );
  sim.clearFault();
  assert.equal((await read(anon.session, 'ns=1;s=Boiler.Temperature')).statusCode, StatusCodes.Good);
});

test('fault delay: reads answer after the delay', async () => {
  sim.setFault({ mode: 'delay', ms: 300 });
  const t0 = performance.now();
  const dv = await read(anon.session, 'ns=1;s=Boiler.Running');
  const ms = performance.now() - t0;
  assert.equal(dv.statusCode, StatusCodes.Good);
  assert.ok(ms >= 295, `answered after ${Math.round(ms)} ms`);
});

test('fault no-response: the read is held until the client gives up; service resumes when cleared', async () => {
  // node-opcua's client never waits less than ClientSecureChannelLayer.minTransactionTimeout (5 s)
  // for a response; lower it for this client so the test does not wait 5 s.
  const minTimeout = ClientSecureChannelLayer.minTransactionTimeout;
  ClientSecureChannelLayer.minTransactionTimeout = 100;
  const impatient = await connect({ transactionTimeoutMs: 500 });
  try {
    sim.setFault({ mode: 'no-response', points: ['state', 'setpoint'] });
    const t0 = performance.now();
    await assert.rejects(
      read(impatient.session, 'ns=1;s=Boiler.State'),
      /Timeout|timeout|BadTimeout|Transaction/i,
    );
    assert.ok(performance.now() - t0 >= 450);
    assert.equal(
      (await read(anon.session, 'ns=1;s=Boiler.Running')).statusCode,
      StatusCodes.Good,
      'other points answer',
    );
    await assert.rejects(
      impatient.session.write({
        nodeId: 'ns=1;s=Boiler.Setpoint',
        attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType.Double, value: 10 } },
      }),
      /Timeout|timeout|Transaction/i,
    );
    sim.clearFault();
    assert.equal(sim.value('setpoint'), 65, 'a swallowed write is not applied when the fault clears');
    assert.equal((await read(anon.session, 'ns=1;s=Boiler.State')).value.value, 'heating');
  } finally {
    await impatient.close();
    ClientSecureChannelLayer.minTransactionTimeout = minTimeout;
  }
});
