/**
 * The OPC UA driver over node-opcua-client: one client and session per device, reads by node id,
 * writes with the type the DeviceModel (or the visitor) names, and a subscription for properties
 * whose visitor asks for one (opcua-config.ts lists the keys).
 *
 * node-opcua is imported when a device first connects, not when the mappers are loaded: it is large,
 * and an edge without OPC UA devices should not pay for it.
 *
 * node-opcua's own reconnection is switched off (`connectionStrategy.maxRetry: 0`): when the link
 * drops the runner closes this client and connects a new one on its back-off schedule, so every
 * protocol follows the same offline/online rules. Its certificate store (PKI) is kept under the
 * data dir (`<dataDir>/pki`), never in the working directory or the home directory (node-opcua's
 * default). Server certificates are trusted on first use (`automaticallyAcceptUnknownCertificate`),
 * as there is no operator at the edge to approve them; a server that later presents a different
 * certificate is rejected.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientSession, ClientSubscription, OPCUAClient, UserIdentityInfo } from 'node-opcua-client';
import { errorMessage } from '@edgeproof/core';
import { deviceLabel } from '../device-properties.ts';
import type { DeviceDriver, DriverContext, DriverEvents, MapperProtocol } from '../driver.ts';
import { DeviceLinkError, DeviceOperationError, WriteRefusedError } from '../mapper-errors.ts';
import { withTimeout } from '../with-timeout.ts';
import {
  parseOpcUaProtocol,
  parseOpcUaVisitor,
  type OpcUaConnection,
  type OpcUaVisitor,
} from './opcua-config.ts';
import { opcUaValueToText, textToOpcUaValue } from './opcua-values.ts';

type Lib = typeof import('node-opcua-client');

/** How long closing a session or client may take before it is abandoned. */
const CLOSE_TIMEOUT_MS = 2000;

class OpcUaDriver implements DeviceDriver {
  private readonly conn: OpcUaConnection;
  private readonly visitors: ReadonlyMap<string, OpcUaVisitor>;
  private readonly ctx: DriverContext;
  private readonly clientName: string;
  private lib: Lib | undefined;
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;

  constructor(
    conn: OpcUaConnection,
    visitors: ReadonlyMap<string, OpcUaVisitor>,
    ctx: DriverContext,
    clientName: string,
  ) {
    this.conn = conn;
    this.visitors = visitors;
    this.ctx = ctx;
    this.clientName = clientName;
  }

  pushedProperties(): ReadonlySet<string> {
    return new Set([...this.visitors].filter(([, v]) => v.subscribe).map(([name]) => name));
  }

  async connect(events: DriverEvents): Promise<void> {
    await this.close();
    const { url, timeoutMs } = this.conn;
    const lib = await import('node-opcua-client');
    const { OPCUACertificateManager } = await import('node-opcua-certificate-manager');
    let password = this.conn.password;
    try {
      if (this.conn.passwordFile !== undefined) {
        password = (await readFile(this.conn.passwordFile, 'utf8')).replace(/\r?\n$/, '');
      }
      await mkdir(join(this.ctx.dataDir, 'pki'), { recursive: true });
    } catch (err) {
      throw new DeviceLinkError(`${url}: ${errorMessage(err)}`, { cause: err });
    }
    const client = lib.OPCUAClient.create({
      applicationName: 'edgeproof-mapper',
      clientName: this.clientName,
      endpointMustExist: false,
      securityMode: lib.MessageSecurityMode[this.conn.securityMode],
      securityPolicy: `http://opcfoundation.org/UA/SecurityPolicy#${this.conn.securityPolicy}`,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      keepSessionAlive: true,
      requestedSessionTimeout: 60_000,
      defaultTransactionTimeout: timeoutMs,
      clientCertificateManager: new OPCUACertificateManager({
        rootFolder: join(this.ctx.dataDir, 'pki'),
        automaticallyAcceptUnknownCertificate: true,
      }),
      ...(this.conn.certificateFile !== undefined && this.conn.privateKeyFile !== undefined
        ? { certificateFile: this.conn.certificateFile, privateKeyFile: this.conn.privateKeyFile }
        : {}),
    });
    const lost = (why: string): void => {
      if (this.client === client) events.lost(new DeviceLinkError(`${url}: ${why}`));
    };
    client.on('connection_lost', () => lost('connection lost'));
    client.on('close', (err?: Error | null) => lost(`connection closed${err ? `: ${err.message}` : ''}`));
    let session: ClientSession;
    try {
      await withTimeout(client.connect(url), timeoutMs, this.ctx.clock, `connecting to ${url}`);
      const identity: UserIdentityInfo =
        this.conn.userName !== undefined
          ? { type: lib.UserTokenType.UserName, userName: this.conn.userName, password: password ?? '' }
          : { type: lib.UserTokenType.Anonymous };
      session = await withTimeout(
        client.createSession(identity),
        timeoutMs,
        this.ctx.clock,
        `opening a session on ${url}`,
      );
    } catch (err) {
      await bounded(client.disconnect(), this.ctx);
      throw err instanceof DeviceLinkError
        ? err
        : new DeviceLinkError(`cannot connect to ${url}: ${errorMessage(err)}`, { cause: err });
    }
    session.on('session_closed', () => lost('session closed'));
    session.on('keepalive_failure', () => lost('session keep-alive failed'));
    this.lib = lib;
    this.client = client;
    this.session = session;
    try {
      await this.subscribe(lib, session, events);
    } catch (err) {
      await this.close();
      throw new DeviceLinkError(`${url}: cannot create the subscription: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  private async subscribe(lib: Lib, session: ClientSession, events: DriverEvents): Promise<void> {
    const pushed = [...this.visitors].filter(([, v]) => v.subscribe);
    if (pushed.length === 0) return;
    const interval = Math.max(1, Math.min(...pushed.map(([, v]) => v.samplingIntervalMs)));
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: interval,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 60,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    this.subscription = subscription;
    for (const [name, v] of pushed) {
      const item = await subscription.monitor(
        { nodeId: v.nodeId, attributeId: lib.AttributeIds.Value },
        { samplingInterval: v.samplingIntervalMs, discardOldest: true, queueSize: 1 },
        lib.TimestampsToReturn.Both,
      );
      if (!item.statusCode.isGood()) {
        events.propertyError(
          name,
          new DeviceOperationError(`${this.conn.url}: cannot monitor ${v.nodeId}: ${item.statusCode.name}`),
        );
        continue;
      }
      item.on('changed', (dv) => {
        if (!dv.statusCode.isGood()) {
          events.propertyError(
            name,
            new DeviceOperationError(`${this.conn.url}: ${v.nodeId}: ${dv.statusCode.name}`),
          );
          return;
        }
        try {
          events.value(name, opcUaValueToText(lib.DataType[dv.value.dataType], dv.value.value));
        } catch (err) {
          events.propertyError(name, err instanceof Error ? err : new Error(String(err)));
        }
      });
    }
  }

  private use(property: string): { lib: Lib; session: ClientSession; visitor: OpcUaVisitor } {
    const visitor = this.visitors.get(property);
    if (!visitor) throw new DeviceOperationError(`${this.conn.url}: no visitor for property "${property}"`);
    if (!this.lib || !this.session) throw new DeviceLinkError(`${this.conn.url}: not connected`);
    return { lib: this.lib, session: this.session, visitor };
  }

  async read(property: string): Promise<string> {
    const { lib, session, visitor } = this.use(property);
    let dv;
    try {
      dv = await this.bounded(
        session.read({ nodeId: visitor.nodeId, attributeId: lib.AttributeIds.Value }),
        `read ${visitor.nodeId}`,
      );
    } catch (err) {
      // A failed service call (not a Bad status in the result) means the channel or session is gone.
      throw new DeviceLinkError(`${this.conn.url}: read ${visitor.nodeId}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (!dv.statusCode.isGood()) {
      throw new DeviceOperationError(`${this.conn.url}: read ${visitor.nodeId}: ${dv.statusCode.name}`);
    }
    return opcUaValueToText(lib.DataType[dv.value.dataType], dv.value.value);
  }

  async write(property: string, value: string): Promise<void> {
    const known = this.visitors.get(property);
    if (known && known.writeType === undefined) {
      throw new WriteRefusedError(
        `no OPC UA type to write property "${property}" with; set visitors.configData.dataType (e.g. Int32)`,
      );
    }
    const { lib, session, visitor } = this.use(property);
    const writeType = visitor.writeType ?? 'String';
    const variantValue = textToOpcUaValue(value, writeType);
    let status;
    try {
      status = await this.bounded(
        session.write({
          nodeId: visitor.nodeId,
          attributeId: lib.AttributeIds.Value,
          value: { value: { dataType: lib.DataType[writeType], value: variantValue } },
        }),
        `write ${visitor.nodeId}`,
      );
    } catch (err) {
      throw new DeviceLinkError(`${this.conn.url}: write ${visitor.nodeId}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (!status.isGood()) {
      throw new DeviceOperationError(
        `${this.conn.url}: write ${visitor.nodeId} as ${writeType}: ${status.name}`,
      );
    }
  }

  /** node-opcua times requests out itself; this bound is the backstop for a call that never settles. */
  private bounded<T>(request: Promise<T>, what: string): Promise<T> {
    return withTimeout(request, this.conn.timeoutMs + 1000, this.ctx.clock, `${this.conn.url}: ${what}`);
  }

  async close(): Promise<void> {
    const { client, session, subscription } = this;
    this.client = undefined;
    this.session = undefined;
    this.subscription = undefined;
    if (subscription) await bounded(subscription.terminate(), this.ctx);
    if (session) await bounded(session.close(), this.ctx);
    if (client) await bounded(client.disconnect(), this.ctx);
  }
}

/** Waits for a close step, but not forever and without failing: the link may already be dead. */
async function bounded(step: Promise<unknown>, ctx: DriverContext): Promise<void> {
  await withTimeout(step, CLOSE_TIMEOUT_MS, ctx.clock, 'closing').catch(() => undefined);
}

/** Routes `protocolName: opcua` Devices. */
export const opcuaProtocol: MapperProtocol = {
  name: 'opcua',
  createDriver(target, ctx) {
    const label = deviceLabel(target.namespace, target.name);
    const warn = (message: string): void => ctx.logger.warn(message);
    const conn = parseOpcUaProtocol(target.protocolConfig, `${label} spec.protocol.configData`, warn);
    const visitors = new Map<string, OpcUaVisitor>();
    for (const p of target.properties) {
      visitors.set(
        p.name,
        parseOpcUaVisitor(
          p.visitorConfig,
          p.type,
          p.collectCycleMs,
          `${label} property ${p.name} visitors.configData`,
          warn,
        ),
      );
    }
    return new OpcUaDriver(conn, visitors, ctx, `${target.namespace}/${target.name}`);
  },
};
