/**
 * An OPC UA server (node-opcua-server) whose points are Variables under namespace 1, following
 * signal models, with switchable faults.
 *
 * Values are served through an asynchronous getter (node-opcua's `timestamped_get` with a
 * callback, which it installs as the Variable's refreshFunc): every Read, and every sample of a
 * monitored item, asks for the value now, so a sine changes between samples and a fault can
 * answer with a Bad status, late, or not at all.
 *
 * PKI: node-opcua keeps certificates, keys and trust lists in folders it creates. They go under
 * `dataDir` (default: a fresh temporary folder, removed by stop()), never the working directory or
 * home. The server accepts client certificates it has not seen (a simulator should let any mapper
 * in); user tokens are checked against `users`. A first start creates a 2048-bit key and a
 * self-signed certificate (≈0.4 s on the bench machine); a dataDir kept between runs reuses them.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { OPCUAServer } from 'node-opcua-server';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { DataValue } from 'node-opcua-data-value';
import { MessageSecurityMode, SecurityPolicy } from 'node-opcua-secure-channel';
import { StatusCodes, type StatusCode } from 'node-opcua-status-code';
import { DataType, Variant } from 'node-opcua-variant';
import {
  createLogger,
  errorMessage,
  InvalidInputError,
  listenFailure,
  SystemClock,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@edgeproof/core';
import { IssueList } from '../config/config-error.ts';
import { faultApplies, parseFault, type FaultSpec } from '../faults/fault-spec.ts';
import { toBoolean, toNumber } from '../modbus/codec.ts';
import { PointStore } from '../points/point-store.ts';
import { parseSignal } from '../signals/parse-signal.ts';
import type { SignalModel, SignalValue } from '../signals/signal-model.ts';
import type { PointSnapshot, Simulator, SimulatorState } from '../simulator.ts';
import { parseOpcUaSettings, type OpcUaSettings } from './opcua-config.ts';
import {
  browseNameOf,
  type OpcUaDataType,
  type OpcUaPoint,
  type OpcUaSecurityMode,
  type OpcUaSecurityPolicy,
} from './opcua-point.ts';

/** The IANA-registered OPC UA port (OPC 10000-6 §7.2). */
export const DEFAULT_OPCUA_PORT = 4840;

/** Fastest sampling a monitored item may ask for, so tests can watch a sine move. */
const MIN_SAMPLING_INTERVAL_MS = 50;

export type OpcUaSimulatorOptions = OpcUaSettings & {
  /** Where the PKI folders go; default a temporary folder removed by stop(). */
  dataDir?: string;
  clock?: Clock;
  logger?: Logger;
};

const DATA_TYPES: Record<OpcUaDataType, DataType> = {
  Double: DataType.Double,
  Float: DataType.Float,
  Int16: DataType.Int16,
  UInt16: DataType.UInt16,
  Int32: DataType.Int32,
  UInt32: DataType.UInt32,
  Boolean: DataType.Boolean,
  String: DataType.String,
};

const INTEGER_RANGES: Partial<Record<OpcUaDataType, [number, number]>> = {
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
};

const POLICIES: Record<OpcUaSecurityPolicy, SecurityPolicy> = {
  None: SecurityPolicy.None,
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
  Aes128_Sha256_RsaOaep: SecurityPolicy.Aes128_Sha256_RsaOaep,
  Aes256_Sha256_RsaPss: SecurityPolicy.Aes256_Sha256_RsaPss,
};

const MODES: Record<OpcUaSecurityMode, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

/** A read or write held by the no-response fault, answered when the fault changes or at stop. */
type Held = () => void;

export class OpcUaSimulator implements Simulator {
  readonly protocol = 'opcua' as const;
  readonly name: string;
  readonly host: string;
  readonly securityPolicies: readonly OpcUaSecurityPolicy[];
  readonly securityModes: readonly OpcUaSecurityMode[];
  private readonly requestedPort: number;
  private readonly allowAnonymous: boolean;
  private readonly users: ReadonlyMap<string, string>;
  private readonly dataDirOption: string | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly store: PointStore;
  private readonly pointList: readonly OpcUaPoint[];
  private server: OPCUAServer | undefined;
  private dataDir: string | undefined;
  private listeningPort: number | undefined;
  private currentFault: FaultSpec = { mode: 'none' };
  private readonly timers = new Set<TimerHandle>();
  private held: Held[] = [];
  private requests = 0;

  /** Checks the settings; does no I/O. @throws ConfigError listing every problem. */
  constructor(options: OpcUaSimulatorOptions) {
    const { clock, logger, dataDir, ...settings } = options;
    const issues = new IssueList('OpcUaSimulator options');
    const checked = parseOpcUaSettings(settings, [], issues);
    issues.throwIfAny();
    const s = checked as OpcUaSettings;
    this.name = s.name ?? 'opcua-simulator';
    this.host = s.host ?? '127.0.0.1';
    this.requestedPort = s.port ?? DEFAULT_OPCUA_PORT;
    this.securityPolicies = s.securityPolicies ?? ['None', 'Basic256Sha256'];
    this.securityModes = s.securityModes ?? defaultModes(this.securityPolicies);
    this.allowAnonymous = s.allowAnonymous ?? true;
    this.users = new Map((s.users ?? []).map((u) => [u.username, u.password]));
    this.dataDirOption = dataDir;
    this.clock = clock ?? new SystemClock();
    this.logger = logger ?? createLogger(`sim/${this.name}`);
    this.pointList = s.points;
    this.store = new PointStore(s.points, this.clock);
  }

  /** Creates the PKI (first time), builds the address space and listens. */
  async start(): Promise<void> {
    if (this.server) return;
    const dataDir = this.dataDirOption ?? mkdtempSync(join(tmpdir(), 'edgeproof-opcua-'));
    mkdirSync(join(dataDir, 'pki'), { recursive: true });
    this.dataDir = dataDir;
    const serverCertificateManager = new OPCUACertificateManager({
      rootFolder: join(dataDir, 'pki', 'server'),
      automaticallyAcceptUnknownCertificate: true,
    });
    const userCertificateManager = new OPCUACertificateManager({
      rootFolder: join(dataDir, 'pki', 'user'),
      automaticallyAcceptUnknownCertificate: true,
    });
    const advertised = this.host === '0.0.0.0' || this.host === '::' ? undefined : this.host;
    const server = new OPCUAServer({
      host: this.host,
      port: this.requestedPort,
      ...(advertised !== undefined ? { hostname: advertised } : {}),
      serverCertificateManager,
      userCertificateManager,
      securityPolicies: this.securityPolicies.map((p) => POLICIES[p]),
      securityModes: this.securityModes.map((m) => MODES[m]),
      allowAnonymous: this.allowAnonymous,
      userManager: {
        isValidUser: (username: string, password: string) => this.users.get(username) === password,
      },
      serverInfo: { applicationName: { text: `edgeproof ${this.name}` } },
      buildInfo: { productName: 'edgeproof OPC UA simulator', manufacturerName: 'edgeproof' },
      isAuditing: false,
    });
    try {
      await server.initialize();
      this.buildAddressSpace(server);
      server.on('request', () => {
        this.requests++;
      });
      await server.start();
    } catch (err) {
      await server.shutdown(0).catch(() => {});
      this.cleanDataDir();
      // node-opcua binds its own listener, and may say EADDRINUSE only in its message.
      const code =
        (err as NodeJS.ErrnoException).code ??
        (/EADDRINUSE/.test(errorMessage(err)) ? 'EADDRINUSE' : undefined);
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        throw listenFailure(
          {
            port: this.requestedPort,
            host: this.host,
            who: `OPC UA simulator ${this.name}`,
            whenInUse: 'use another --port, or 0 for any free port',
          },
          code,
          err,
        );
      }
      throw err;
    }
    this.server = server;
    this.listeningPort = server.endpoints[0]?.port ?? this.requestedPort;
    this.store.start();
    this.logger.info('listening', { endpoint: this.endpoint(), pki: join(dataDir, 'pki') });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.listeningPort = undefined;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.release();
    try {
      await server.shutdown(0);
    } finally {
      this.cleanDataDir();
    }
  }

  port(): number | undefined {
    return this.listeningPort;
  }

  endpoint(): string | undefined {
    if (this.listeningPort === undefined) return undefined;
    const host = isIP(this.host) === 6 ? `[${this.host}]` : this.host;
    return `opc.tcp://${host}:${this.listeningPort}`;
  }

  setFault(fault: FaultSpec | Record<string, unknown>): FaultSpec {
    const spec = parseFault(fault, 'opcua', this.store.names());
    if (spec.mode === 'bad-status') statusCodeOf(spec.statusCode);
    this.currentFault = spec;
    this.release();
    this.logger.info('fault set', { fault: spec });
    return spec;
  }

  clearFault(): void {
    this.currentFault = { mode: 'none' };
    this.release();
    this.logger.info('fault cleared');
  }

  fault(): FaultSpec {
    return this.currentFault;
  }

  setSignal(name: string, signal: SignalModel): void {
    const issues = new IssueList(`signal of ${name}`);
    const checked = parseSignal(signal, [], issues);
    issues.throwIfAny();
    this.store.setSignal(name, checked as SignalModel);
  }

  /** The value a client reads now, as its DataType holds it. */
  value(name: string): SignalValue {
    const point = this.pointList.find((p) => p.name === name);
    if (!point) return this.store.value(name); // throws the unknown-point error
    return coerce(point.dataType, this.store.value(name));
  }

  points(): PointSnapshot[] {
    return this.pointList.map((p) => {
      const st = this.store.state(p.name);
      return {
        name: p.name,
        value: coerce(p.dataType, this.store.value(p.name)),
        signal: st.signal,
        source: st.source,
        ...(st.since !== undefined ? { since: st.since } : {}),
        writable: p.writable ?? false,
        address: `${p.nodeId} ${p.dataType}`,
      };
    });
  }

  state(): SimulatorState {
    const endpoint = this.endpoint();
    return {
      protocol: 'opcua',
      name: this.name,
      ...(endpoint !== undefined ? { endpoint } : {}),
      fault: this.currentFault,
      stats: { connections: this.server?.currentChannelCount ?? 0, requests: this.requests },
      points: this.points(),
    };
  }

  pointDefinitions(): readonly OpcUaPoint[] {
    return this.pointList;
  }

  /** One Object named after the simulator under Objects, holding a Variable per point. */
  private buildAddressSpace(server: OPCUAServer): void {
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('node-opcua server has no address space after initialize()');
    const namespace = addressSpace.getOwnNamespace();
    const device = namespace.addObject({
      organizedBy: addressSpace.rootFolder.objects,
      browseName: this.name,
    });
    for (const point of this.pointList) {
      const dataType = DATA_TYPES[point.dataType];
      const access = point.writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead';
      namespace.addVariable({
        componentOf: device,
        nodeId: point.nodeId,
        browseName: browseNameOf(point),
        ...(point.description !== undefined ? { description: point.description } : {}),
        dataType: point.dataType,
        accessLevel: access,
        userAccessLevel: access,
        minimumSamplingInterval: MIN_SAMPLING_INTERVAL_MS,
        value: {
          timestamped_get: (callback: (err: Error | null, dataValue?: DataValue) => void) => {
            this.answer(
              point.name,
              () => callback(null, this.dataValue(point, dataType)),
              () =>
                callback(
                  null,
                  new DataValue({
                    statusCode: this.badStatus(),
                    sourceTimestamp: new Date(this.clock.now()),
                  }),
                ),
            );
          },
          timestamped_set: (
            dataValue: DataValue,
            callback: (err: Error | null, statusCode?: StatusCode) => void,
          ) => {
            this.answer(
              point.name,
              () => {
                this.store.write(point.name, fromVariant(dataValue.value));
                callback(null, StatusCodes.Good);
              },
              () => callback(null, this.badStatus()),
              // A write held by no-response was swallowed: it is not applied when released.
              () => callback(null, StatusCodes.BadTimeout),
            );
          },
        },
      });
    }
  }

  /**
   * Runs `ok` now or later, `bad`, or holds the request (no-response) until the fault changes and
   * then runs `released` (default `ok`), as the current fault says.
   */
  private answer(name: string, ok: () => void, bad: () => void, released: () => void = ok): void {
    const fault = this.currentFault;
    const applies = faultApplies(fault, [name]);
    if (!applies || fault.mode === 'none') {
      ok();
      return;
    }
    switch (fault.mode) {
      case 'bad-status':
        bad();
        return;
      case 'delay': {
        const timer = this.clock.setTimeout(() => {
          this.timers.delete(timer);
          ok();
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
      case 'no-response':
        this.held.push(released);
        return;
      case 'exception':
      case 'drop':
        ok(); // not OPC UA faults; parseFault never lets them in
        return;
    }
  }

  /** Answers everything the no-response fault held. */
  private release(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) {
      try {
        h();
      } catch (err) {
        this.logger.debug('late answer failed', { err: errorMessage(err) });
      }
    }
  }

  private badStatus(): StatusCode {
    const fault = this.currentFault;
    return statusCodeOf(fault.mode === 'bad-status' ? fault.statusCode : undefined);
  }

  private dataValue(point: OpcUaPoint, dataType: DataType): DataValue {
    const now = new Date(this.clock.now());
    return new DataValue({
      value: new Variant({ dataType, value: coerce(point.dataType, this.store.value(point.name)) }),
      statusCode: StatusCodes.Good,
      sourceTimestamp: now,
      serverTimestamp: now,
    });
  }

  private cleanDataDir(): void {
    if (this.dataDirOption === undefined && this.dataDir !== undefined) {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
    this.dataDir = undefined;
  }
}

/** Policy None goes with mode None; the others with SignAndEncrypt. */
function defaultModes(policies: readonly OpcUaSecurityPolicy[]): OpcUaSecurityMode[] {
  const modes: OpcUaSecurityMode[] = [];
  if (policies.includes('None')) modes.push('None');
  if (policies.some((p) => p !== 'None')) modes.push('SignAndEncrypt');
  return modes;
}

/** @throws InvalidInputError for a name that is not an OPC UA Bad status. */
function statusCodeOf(name: string | undefined): StatusCode {
  const key = name ?? 'BadCommunicationError';
  const code = (StatusCodes as unknown as Record<string, StatusCode | undefined>)[key];
  if (!code || !key.startsWith('Bad')) {
    throw new InvalidInputError(
      `fault: ${key} is not an OPC UA Bad status code (e.g. BadCommunicationError, BadTimeout)`,
    );
  }
  return code;
}

/** A signal value as `type` holds it: integers rounded and saturated, Float to single precision. */
function coerce(type: OpcUaDataType, value: SignalValue): SignalValue {
  switch (type) {
    case 'Boolean':
      return toBoolean(value);
    case 'String':
      return String(value);
    case 'Double':
      return toNumber(value);
    case 'Float':
      return Math.fround(toNumber(value));
    case 'Int16':
    case 'UInt16':
    case 'Int32':
    case 'UInt32': {
      const [min, max] = INTEGER_RANGES[type] ?? [0, 0];
      return Math.min(max, Math.max(min, Math.round(toNumber(value))));
    }
  }
}

function fromVariant(variant: Variant): SignalValue {
  const v: unknown = variant.value;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return String(v);
}
