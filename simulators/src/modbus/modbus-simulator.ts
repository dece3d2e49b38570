/**
 * A Modbus slave (server) over TCP, with MBAP framing (Modbus TCP) or RTU framing (RTU over TCP),
 * whose points follow signal models and which can be switched into fault modes at run time.
 *
 * Hand-written on node:net rather than modbus-serial's ServerTCP (modbus-serial 8.0.25,
 * servers/servertcp.js), because ServerTCP:
 * - listens in its constructor, and turns port 0 into 502 (`options.port || MODBUS_PORT`), so it
 *   can neither follow "constructors do no I/O" nor take an ephemeral port in tests;
 * - calls its vector once per register, so a multi-register value cannot be encoded once per
 *   request and per-request faults (no response, delay, drop after N requests, per-point
 *   exceptions) have no place to hook in;
 * - has no RTU framing over TCP.
 * The protocol part is small: framing.ts (MBAP / RTU), pdu.ts (eight function codes), with the
 * spec sections cited there.
 *
 * Unit ids: over `tcp` the simulator answers its own unit id, 0 and 255 (MODBUS Messaging on
 * TCP/IP Implementation Guide V1.0b §4.4.1.2: a device reached by its IP address should accept
 * 0xFF; many clients send 0) and answers other ids with exception 0x0B (Gateway Target Device
 * Failed to Respond), as a gateway with nothing behind that id would. Over `rtu-over-tcp` it
 * behaves like a device on a serial bus: it ignores frames for other ids, and executes broadcasts
 * (id 0) without answering (MODBUS over Serial Line V1.02 §2.1).
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  createLogger,
  errorMessage,
  InvalidInputError,
  listenOn,
  SystemClock,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@edgeproof/core';
import { IssueList } from '../config/config-error.ts';
import { faultApplies, parseFault, type FaultSpec } from '../faults/fault-spec.ts';
import { PointStore } from '../points/point-store.ts';
import { parseSignal } from '../signals/parse-signal.ts';
import type { SignalModel } from '../signals/signal-model.ts';
import type { PointSnapshot, Simulator, SimulatorState } from '../simulator.ts';
import { encodeRegisters, representable, toBoolean } from './codec.ts';
import { frameCodec, type Frame, type FrameCodec } from './framing.ts';
import { parseModbusSettings, type ModbusSettings } from './modbus-config.ts';
import {
  dataTypeOf,
  isBitTable,
  isWritable,
  type ModbusPoint,
  type ModbusTransport,
} from './modbus-point.ts';
import { decodeRequest, exceptionPdu, executeRequest } from './pdu.ts';
import { RegisterMap } from './register-map.ts';

/** Modbus's own port 502 needs root; 5020 is the customary unprivileged one. */
export const DEFAULT_MODBUS_PORT = 5020;

/** Exception 0x0B, Gateway Target Device Failed to Respond (Application Protocol V1.1b3 §7). */
const GATEWAY_TARGET_FAILED = 0x0b;

export type ModbusSimulatorOptions = ModbusSettings & {
  clock?: Clock;
  logger?: Logger;
};

type Connection = { socket: Socket; codec: FrameCodec; answeredSinceFault: number };

export class ModbusSimulator implements Simulator {
  readonly protocol = 'modbus' as const;
  readonly name: string;
  readonly unitId: number;
  readonly transport: ModbusTransport;
  readonly host: string;
  private readonly requestedPort: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly store: PointStore;
  private readonly map: RegisterMap;
  private readonly pointList: readonly ModbusPoint[];
  private server: Server | undefined;
  private listeningPort: number | undefined;
  private readonly connections = new Set<Connection>();
  private readonly timers = new Set<TimerHandle>();
  private currentFault: FaultSpec = { mode: 'none' };
  private requests = 0;

  /**
   * Checks the points (names, addresses, overlaps, types, signals); does no I/O.
   * @throws ConfigError (an InvalidInputError) listing every problem.
   */
  constructor(options: ModbusSimulatorOptions) {
    const issues = new IssueList('ModbusSimulator options');
    const { clock, logger, ...settings } = options;
    const checked = parseModbusSettings(settings, [], issues);
    issues.throwIfAny();
    const s = checked as ModbusSettings;
    this.name = s.name ?? 'modbus-simulator';
    this.unitId = s.unitId ?? 1;
    this.transport = s.transport ?? 'tcp';
    this.host = s.host ?? '127.0.0.1';
    this.requestedPort = s.port ?? DEFAULT_MODBUS_PORT;
    this.clock = clock ?? new SystemClock();
    this.logger = logger ?? createLogger(`sim/${this.name}`);
    this.pointList = s.points;
    this.store = new PointStore(s.points, this.clock);
    this.map = new RegisterMap(s.points, this.store);
  }

  /** Listens on host:port. @throws ResourceBusyError when the port is taken. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => this.accept(socket));
    this.listeningPort = await listenOn(server, {
      port: this.requestedPort,
      host: this.host,
      who: `Modbus simulator ${this.name}`,
      whenInUse: 'use another --port, or 0 for any free port',
    });
    // After listening: a failure to listen is listenOn's rejection, not a logged listener error.
    server.on('error', (err) => this.logger.error('listener error', { err: errorMessage(err) }));
    this.server = server;
    this.store.start();
    this.logger.info('listening', {
      endpoint: this.endpoint(),
      transport: this.transport,
      unitId: this.unitId,
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.listeningPort = undefined;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  port(): number | undefined {
    return this.listeningPort;
  }

  endpoint(): string | undefined {
    if (this.listeningPort === undefined) return undefined;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${host}:${this.listeningPort}`;
  }

  setFault(fault: FaultSpec | Record<string, unknown>): FaultSpec {
    const spec = parseFault(fault, 'modbus', this.store.names());
    this.currentFault = spec;
    for (const c of this.connections) c.answeredSinceFault = 0;
    if (spec.mode === 'drop' && (spec.afterRequests ?? 0) === 0) {
      for (const c of [...this.connections]) this.drop(c, spec.reset ?? false);
    }
    this.logger.info('fault set', { fault: spec });
    return spec;
  }

  clearFault(): void {
    this.currentFault = { mode: 'none' };
    this.logger.info('fault cleared');
  }

  fault(): FaultSpec {
    return this.currentFault;
  }

  setSignal(name: string, signal: SignalModel): void {
    // Checked again here so code passing a hand-made object gets the same errors as a file.
    const issues = new IssueList(`signal of ${name}`);
    const checked = parseSignal(signal, [], issues);
    issues.throwIfAny();
    this.store.setSignal(name, checked as SignalModel);
  }

  /** The value a client reads now (after scale and type). */
  value(name: string): number | boolean {
    const point = this.point(name);
    const v = this.store.value(name);
    return isBitTable(point.register) ? toBoolean(v) : representable(point, v);
  }

  points(): PointSnapshot[] {
    return this.pointList.map((p) => {
      const st = this.store.state(p.name);
      const v = this.store.value(p.name);
      const bit = isBitTable(p.register);
      return {
        name: p.name,
        value: bit ? toBoolean(v) : representable(p, v),
        signal: st.signal,
        source: st.source,
        ...(st.since !== undefined ? { since: st.since } : {}),
        writable: isWritable(p),
        address: `${p.register} ${p.address} ${dataTypeOf(p)}`,
        registers: bit ? [toBoolean(v) ? 1 : 0] : encodeRegisters(p, v),
      };
    });
  }

  state(): SimulatorState {
    const endpoint = this.endpoint();
    return {
      protocol: 'modbus',
      name: this.name,
      ...(endpoint !== undefined ? { endpoint } : {}),
      fault: this.currentFault,
      stats: { connections: this.connections.size, requests: this.requests },
      points: this.points(),
    };
  }

  /** The configured points. */
  pointDefinitions(): readonly ModbusPoint[] {
    return this.pointList;
  }

  private point(name: string): ModbusPoint {
    const p = this.pointList.find((x) => x.name === name);
    if (!p) {
      throw new InvalidInputError(
        `unknown point ${JSON.stringify(name)}; points are ${this.pointList.map((x) => x.name).join(', ')}`,
      );
    }
    return p;
  }

  private accept(socket: Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    const conn: Connection = { socket, codec: frameCodec(this.transport), answeredSinceFault: 0 };
    this.connections.add(conn);
    socket.setNoDelay(true);
    socket.on('close', () => this.connections.delete(conn));
    socket.on('error', (err) => this.logger.debug('client socket error', { err: errorMessage(err) }));
    const fault = this.currentFault;
    if (fault.mode === 'drop' && (fault.afterRequests ?? 0) === 0) {
      this.logger.debug('fault drop: closing new connection');
      this.drop(conn, fault.reset ?? false);
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      let result;
      try {
        result = conn.codec.push(chunk);
      } catch (err) {
        this.logger.warn('bad frame; closing the connection', { err: errorMessage(err) });
        socket.destroy();
        return;
      }
      for (const frame of result.frames) this.handle(conn, frame);
      if (result.corrupt) {
        this.logger.debug('not a Modbus TCP stream (bad MBAP header); closing the connection');
        socket.destroy();
      }
    });
  }

  private handle(conn: Connection, frame: Frame): void {
    if (conn.socket.destroyed) return;
    this.requests++;
    const fault = this.currentFault;
    if (fault.mode === 'drop') {
      if (conn.answeredSinceFault >= (fault.afterRequests ?? 0)) {
        this.logger.debug('fault drop: closing connection', { after: fault.afterRequests ?? 0 });
        this.drop(conn, fault.reset ?? false);
        return;
      }
      conn.answeredSinceFault++;
    }
    const rtu = this.transport === 'rtu-over-tcp';
    const broadcast = rtu && frame.unitId === 0;
    const ours = frame.unitId === this.unitId || (!rtu && (frame.unitId === 0 || frame.unitId === 0xff));
    if (!ours && !broadcast) {
      if (!rtu) this.send(conn, frame, exceptionPdu(frame.pdu[0] ?? 0, GATEWAY_TARGET_FAILED), 0);
      return;
    }
    const decoded = decodeRequest(frame.pdu);
    const touched =
      'request' in decoded
        ? this.map.touched(decoded.request.table, decoded.request.start, decoded.request.quantity)
        : [];
    if (fault.mode === 'no-response' && faultApplies(fault, touched)) {
      this.logger.debug('fault no-response: request swallowed', { fc: frame.pdu[0], points: touched });
      return;
    }
    if (fault.mode === 'exception' && faultApplies(fault, touched)) {
      if (!broadcast) this.send(conn, frame, exceptionPdu(frame.pdu[0] ?? 0, fault.code), 0);
      return;
    }
    let response: Buffer;
    try {
      response =
        'request' in decoded
          ? executeRequest(decoded.request, this.map)
          : exceptionPdu(decoded.fc, decoded.exception);
    } catch (err) {
      // A bug here must not take the simulator down: answer Server Device Failure (§7, 0x04).
      this.logger.error('request failed', { err: errorMessage(err) });
      response = exceptionPdu(frame.pdu[0] ?? 0, 0x04);
    }
    if (broadcast) return;
    const delay = fault.mode === 'delay' && faultApplies(fault, touched) ? fault.ms : 0;
    this.send(conn, frame, response, delay);
  }

  private send(conn: Connection, frame: Frame, pdu: Buffer, delayMs: number): void {
    const bytes = conn.codec.encode(frame, pdu);
    if (delayMs <= 0) {
      if (!conn.socket.destroyed) conn.socket.write(bytes);
      return;
    }
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      if (!conn.socket.destroyed) conn.socket.write(bytes);
    }, delayMs);
    this.timers.add(timer);
  }

  private drop(conn: Connection, reset: boolean): void {
    this.connections.delete(conn);
    if (reset) conn.socket.resetAndDestroy();
    else conn.socket.destroy();
  }
}
