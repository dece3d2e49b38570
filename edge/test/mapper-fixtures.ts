/**
 * Real servers for the mapper socket tests: an aedes MQTT broker on an ephemeral port, an MQTT
 * recorder standing in for edgecore, a Modbus TCP server (modbus-serial ServerTCP over a register
 * vector) that can go away and come back on the same port, and an RTU-over-TCP gateway in front of
 * it. Device and DeviceModel builders keep the tests short.
 */
import { Socket, createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import modbusSerial from 'modbus-serial';
import type { Device, DeviceModel, DeviceProperty, ModelProperty } from '@edgeproof/crds';

export type TestBroker = { url: string; port: number; close(): Promise<void> };

/** aedes with its defaults (23-character client ids, as MQTT 3.1.1 guarantees), on 127.0.0.1:0. */
export async function startBroker(): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async close() {
      await new Promise<void>((r) => broker.close(() => r()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export type Recorded = { topic: string; payload: string; json: unknown; at: number };

/** Subscribes like edgecore does (kubeedge-protocol.md §7.1) and keeps every message. */
export class MqttRecorder {
  readonly messages: Recorded[] = [];
  readonly client: MqttClient;
  private constructor(client: MqttClient) {
    this.client = client;
  }

  static async connect(url: string, topics: string[] = ['$hw/events/device/#']): Promise<MqttRecorder> {
    const client = await connectAsync(url, { clientId: `rec-${Math.random().toString(16).slice(2, 10)}` });
    const rec = new MqttRecorder(client);
    client.on('message', (topic, payload) => {
      const text = payload.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      rec.messages.push({ topic, payload: text, json, at: Date.now() });
    });
    await client.subscribeAsync(topics, { qos: 1 });
    return rec;
  }

  /** Resolves with the first message (from index `from` on) that matches, or rejects after `ms`. */
  async waitFor(match: (m: Recorded) => boolean, ms = 3000, from = 0): Promise<Recorded> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.messages.slice(from).find(match);
      if (hit) return hit;
      if (Date.now() > deadline) {
        const seen = this.messages.slice(-8).map((m) => `${m.topic} ${m.payload}`);
        throw new Error(`no matching MQTT message within ${ms} ms; last seen:\n  ${seen.join('\n  ')}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    await this.client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** A state/update message's state, for matching. */
export function stateOf(m: Recorded): string | undefined {
  return m.topic.endsWith('/state/update') ? (m.json as { state?: string } | undefined)?.state : undefined;
}

/** The actual value of `property` in a twin/update message, for matching. */
export function actualOf(m: Recorded, property: string): string | undefined {
  if (!m.topic.endsWith('/twin/update')) return undefined;
  const twin = (m.json as { twin?: Record<string, { actual?: { value?: string } }> } | undefined)?.twin;
  return twin?.[property]?.actual?.value;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** modbus-serial's ServerTCP answers with the exception code a thrown error carries. */
const illegalAddress = (): Error =>
  Object.assign(new Error('Illegal data address'), { modbusErrorCode: 0x02 });

/** A Modbus TCP device: 100 holding and input registers, 100 coils, unit 1. Addresses ≥ 100 raise exception 2. */
export class ModbusDevice {
  readonly holding = new Uint16Array(100);
  readonly input = new Uint16Array(100);
  readonly coils: boolean[] = Array.from({ length: 100 }, () => false);
  private server: InstanceType<typeof modbusSerial.ServerTCP> | undefined;
  readonly port: number;

  constructor(port: number) {
    this.port = port;
  }

  async start(): Promise<void> {
    const vector = {
      getHoldingRegister: (addr: number): number => {
        if (addr >= 100) throw illegalAddress();
        return this.holding[addr] ?? 0;
      },
      getInputRegister: (addr: number): number => {
        if (addr >= 100) throw illegalAddress();
        return this.input[addr] ?? 0;
      },
      getCoil: (addr: number): boolean => {
        if (addr >= 100) throw illegalAddress();
        return this.coils[addr] ?? false;
      },
      getDiscreteInput: (addr: number): boolean => this.coils[addr] ?? false,
      setRegister: (addr: number, value: number): void => {
        if (addr >= 100) throw illegalAddress();
        this.holding[addr] = value;
      },
      setCoil: (addr: number, value: boolean): void => {
        this.coils[addr] = value;
      },
    };
    const server = new modbusSerial.ServerTCP(vector, { host: '127.0.0.1', port: this.port, unitID: 1 });
    server.on('socketError', () => {});
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('serverError', (err) => reject(err ?? new Error('modbus server error')));
    });
    this.server = server;
  }

  /** Closes the listener and every open connection: the device "goes away". */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const sock of server.socks.keys()) sock.destroy();
    await closed;
  }
}

function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return crc;
}

/**
 * A serial device server stand-in: takes Modbus RTU frames (unit, PDU, CRC) over TCP and forwards
 * their PDUs to a Modbus TCP server, answering in RTU framing (Modbus over Serial Line V1.02 §2.5.1).
 */
export async function startRtuGateway(targetPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((rtu) => {
    sockets.add(rtu);
    rtu.on('error', () => {});
    let pending = Buffer.alloc(0);
    let txid = 0;
    const upstream = new Socket();
    sockets.add(upstream);
    upstream.on('error', () => rtu.destroy());
    upstream.connect(targetPort, '127.0.0.1');
    let reply = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      while (reply.length >= 7 && reply.length >= 6 + reply.readUInt16BE(4)) {
        const len = reply.readUInt16BE(4);
        const adu = reply.subarray(6, 6 + len); // unit + PDU
        reply = reply.subarray(6 + len);
        const crc = crc16(adu);
        rtu.write(Buffer.concat([adu, Buffer.from([crc & 0xff, crc >> 8])]));
      }
    });
    rtu.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (pending.length < 8) return;
        const fc = pending[1] ?? 0;
        const size = fc === 15 || fc === 16 ? 9 + (pending[6] ?? 0) : 8;
        if (pending.length < size) return;
        const frame = pending.subarray(0, size);
        pending = pending.subarray(size);
        const body = frame.subarray(0, size - 2);
        if (crc16(body) !== frame.readUInt16LE(size - 2)) continue; // a bad CRC gets no answer, as on a line
        const mbap = Buffer.alloc(6);
        mbap.writeUInt16BE(++txid & 0xffff, 0);
        mbap.writeUInt16BE(0, 2);
        mbap.writeUInt16BE(body.length, 4);
        upstream.write(Buffer.concat([mbap, body]));
      }
    });
    rtu.on('close', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function deviceModel(name: string, protocol: string, properties: ModelProperty[]): DeviceModel {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name, namespace: 'default' },
    spec: { protocol, properties },
  };
}

export function device(
  name: string,
  model: string,
  protocolName: string,
  configData: Record<string, unknown>,
  properties: DeviceProperty[],
): Device {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name, namespace: 'default' },
    spec: {
      deviceModelRef: { name: model },
      nodeName: 'edge-1',
      protocol: { protocolName, configData },
      properties,
    },
  };
}

/** Resolves once `check` passes, polling every 10 ms; rejects with its last error after `ms`. */
export async function eventually(check: () => void, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
