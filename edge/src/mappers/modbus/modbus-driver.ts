/**
 * The Modbus driver over modbus-serial: Modbus TCP, RTU on a serial port, and RTU frames over TCP.
 * Reads use FC 1/2/3/4 by register table, writes FC 5/15 for coils and FC 6/16 for holding
 * registers, as KubeEdge's Modbus mapper does (mappers-go `mappers/modbus/driver/client.go` Get/Set;
 * it writes one register only, FC 16 for wider types is an edgeproof addition).
 */
import modbusSerial from 'modbus-serial';
import { errorMessage } from '@edgeproof/core';
import { deviceLabel } from '../device-properties.ts';
import type { DeviceDriver, DriverContext, DriverEvents, MapperProtocol } from '../driver.ts';
import { DeviceLinkError, DeviceOperationError, WriteRefusedError } from '../mapper-errors.ts';
import { withTimeout } from '../with-timeout.ts';
import {
  decodeBits,
  decodeRegisters,
  encodeBits,
  encodeRegisters,
  formatModbusValue,
  isBitRegister,
} from './modbus-codec.ts';
import {
  parseModbusProtocol,
  parseModbusVisitor,
  type ModbusConnection,
  type ModbusVisitor,
} from './modbus-config.ts';

// modbus-serial is CommonJS with `module.exports.default = module.exports`; under nodenext its
// typings present the default import as the module, whose `default` is the client class.
const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

const LINK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** `modbus tcp 10.0.0.5:502 unit 1`: how logs and errors name the link. */
export function describeModbusConnection(conn: ModbusConnection): string {
  switch (conn.transport) {
    case 'tcp':
      return `modbus tcp ${conn.host}:${conn.port} unit ${conn.slaveId}`;
    case 'rtu-over-tcp':
      return `modbus rtu-over-tcp ${conn.host}:${conn.port} unit ${conn.slaveId}`;
    case 'rtu':
      return `modbus rtu ${conn.serialPort} unit ${conn.slaveId}`;
  }
}

/**
 * Sorts a modbus-serial failure: an exception response (it carries `modbusCode`) means the device
 * answered; a timeout or a closed port means the link is gone (modbus-serial's
 * TransactionTimedOutError, PortNotOpenError, socket errnos). Anything else is taken as a bad
 * answer (CRC, length) rather than a lost link.
 */
export function classifyModbusError(err: unknown, what: string): Error {
  if (err instanceof DeviceLinkError || err instanceof DeviceOperationError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const message = errorMessage(err);
  if (typeof e['modbusCode'] === 'number')
    return new DeviceOperationError(`${what}: ${message}`, { cause: err });
  const name = typeof e['name'] === 'string' ? e['name'] : '';
  const code = e['code'] ?? e['errno'];
  const errno = typeof code === 'string' || typeof code === 'number' ? String(code) : '';
  if (name === 'TransactionTimedOutError' || name === 'PortNotOpenError' || LINK_ERRNOS.has(errno)) {
    return new DeviceLinkError(`${what}: ${message}`, { cause: err });
  }
  return new DeviceOperationError(`${what}: ${message}`, { cause: err });
}

class ModbusDriver implements DeviceDriver {
  private client: Client | undefined;
  private readonly link: string;
  private readonly conn: ModbusConnection;
  private readonly visitors: ReadonlyMap<string, ModbusVisitor>;
  private readonly ctx: DriverContext;

  constructor(conn: ModbusConnection, visitors: ReadonlyMap<string, ModbusVisitor>, ctx: DriverContext) {
    this.conn = conn;
    this.visitors = visitors;
    this.ctx = ctx;
    this.link = describeModbusConnection(conn);
  }

  pushedProperties(): ReadonlySet<string> {
    return new Set();
  }

  async connect(events: DriverEvents): Promise<void> {
    await this.close();
    const client = new ModbusRTU();
    client.setTimeout(this.conn.timeoutMs);
    // modbus-serial emits 'error' on socket errors: without a listener Node would throw it.
    client.on('error', (err: unknown) => {
      if (this.client === client) events.lost(new DeviceLinkError(`${this.link}: ${errorMessage(err)}`));
    });
    client.on('close', () => {
      if (this.client === client) events.lost(new DeviceLinkError(`${this.link}: connection closed`));
    });
    try {
      await withTimeout(this.open(client), this.conn.timeoutMs, this.ctx.clock, `connecting to ${this.link}`);
    } catch (err) {
      await closeClient(client, this.ctx);
      throw err instanceof DeviceLinkError
        ? err
        : new DeviceLinkError(`cannot connect to ${this.link}: ${errorMessage(err)}`, { cause: err });
    }
    client.setID(this.conn.slaveId);
    this.client = client;
  }

  private open(client: Client): Promise<void> {
    const conn = this.conn;
    switch (conn.transport) {
      case 'tcp':
        return client.connectTCP(conn.host, { port: conn.port, timeout: conn.timeoutMs });
      case 'rtu-over-tcp':
        // modbus-serial's TelnetPort writes RTU frames (CRC included) to the socket as they are;
        // its TcpRTUBufferedPort, despite the name, converts them to Modbus TCP (MBAP) frames.
        return client.connectTelnet(conn.host, { port: conn.port, timeout: conn.timeoutMs });
      case 'rtu':
        return client.connectRTUBuffered(conn.serialPort, {
          baudRate: conn.baudRate,
          dataBits: conn.dataBits,
          stopBits: conn.stopBits,
          parity: conn.parity,
        });
    }
  }

  private use(property: string): { client: Client; visitor: ModbusVisitor } {
    const visitor = this.visitors.get(property);
    if (!visitor) throw new DeviceOperationError(`${this.link}: no visitor for property "${property}"`);
    const client = this.client;
    if (!client?.isOpen) throw new DeviceLinkError(`${this.link}: not connected`);
    return { client, visitor };
  }

  async read(property: string): Promise<string> {
    const { client, visitor: v } = this.use(property);
    const what = `${this.link}: read ${v.register} ${v.offset} (limit ${v.limit})`;
    let bytes: Uint8Array;
    try {
      bytes = (await this.bounded(this.request(client, v), what)).buffer;
    } catch (err) {
      throw classifyModbusError(err, what);
    }
    const value = isBitRegister(v.register) ? decodeBits(bytes, v.limit, v) : decodeRegisters(bytes, v);
    return formatModbusValue(value);
  }

  private request(client: Client, v: ModbusVisitor): Promise<{ buffer: Buffer }> {
    switch (v.register) {
      case 'CoilRegister':
        return client.readCoils(v.offset, v.limit);
      case 'DiscreteInputRegister':
        return client.readDiscreteInputs(v.offset, v.limit);
      case 'InputRegister':
        return client.readInputRegisters(v.offset, v.limit);
      case 'HoldingRegister':
        return client.readHoldingRegisters(v.offset, v.limit);
    }
  }

  /**
   * modbus-serial times requests out itself, but a request in flight when the socket closes can be
   * dropped without an answer; this bound keeps such a call from blocking the device for good.
   */
  private bounded<T>(request: Promise<T>, what: string): Promise<T> {
    return withTimeout(request, this.conn.timeoutMs + 500, this.ctx.clock, what);
  }

  async write(property: string, value: string): Promise<void> {
    const visitor = this.visitors.get(property);
    if (visitor && (visitor.register === 'InputRegister' || visitor.register === 'DiscreteInputRegister')) {
      throw new WriteRefusedError(
        `${visitor.register} cannot be written in Modbus: only CoilRegister and HoldingRegister can`,
      );
    }
    const { client, visitor: v } = this.use(property);
    const what = `${this.link}: write ${v.register} ${v.offset}`;
    // Encode before any I/O: a value that does not fit is refused, not half-written.
    if (v.register === 'CoilRegister') {
      const states = encodeBits(value, v, v.limit);
      try {
        if (states.length === 1) await this.bounded(client.writeCoil(v.offset, states[0] === true), what);
        else await this.bounded(client.writeCoils(v.offset, states), what);
      } catch (err) {
        throw classifyModbusError(err, what);
      }
      return;
    }
    const words = encodeRegisters(value, v, v.limit);
    try {
      if (words.length === 1) await this.bounded(client.writeRegister(v.offset, words[0] ?? 0), what);
      else await this.bounded(client.writeRegisters(v.offset, words), what);
    } catch (err) {
      throw classifyModbusError(err, what);
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await closeClient(client, this.ctx);
  }
}

async function closeClient(client: Client, ctx: DriverContext): Promise<void> {
  if (!client.isOpen) {
    // Already closed by the peer: modbus-serial's close() callback waits for a 'close' event that
    // has happened, so it would never come. destroy() frees the socket or serial port either way.
    try {
      client.destroy();
    } catch {
      // nothing was opened
    }
    return;
  }
  const closing = new Promise<void>((resolve) => {
    try {
      client.close(() => resolve());
    } catch {
      resolve();
    }
  });
  // A port that never opened may never call back; do not let close() hang the runner.
  await withTimeout(closing, 1000, ctx.clock, 'closing the modbus link').catch(() => undefined);
}

/** Routes `protocolName: modbus` Devices (KubeEdge's protocol name for its Modbus mapper). */
export const modbusProtocol: MapperProtocol = {
  name: 'modbus',
  createDriver(target, ctx) {
    const label = deviceLabel(target.namespace, target.name);
    const warn = (message: string): void => ctx.logger.warn(message);
    const conn = parseModbusProtocol(target.protocolConfig, `${label} spec.protocol.configData`, warn);
    const visitors = new Map<string, ModbusVisitor>();
    for (const p of target.properties) {
      visitors.set(
        p.name,
        parseModbusVisitor(p.visitorConfig, p.type, `${label} property ${p.name} visitors.configData`, warn),
      );
    }
    return new ModbusDriver(conn, visitors, ctx);
  },
};
