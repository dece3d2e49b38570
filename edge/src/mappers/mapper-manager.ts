/**
 * Runs the mappers of one edge node: every Device is routed by `spec.protocol.protocolName` to its
 * protocol's driver and run by a DeviceRunner. Like KubeEdge's pre-DMI mappers (kubeedge/mappers-go),
 * it speaks to edgecore only through the edge broker, on the `$hw/events/device/<ns>/<name>/…`
 * topics (kubeedge-protocol.md §7.2, device id `<namespace>/<name>`):
 * - publishes `twin/update` (actual values) and `state/update`;
 * - subscribes to `twin/update/delta` and writes expected values to the devices.
 *
 * A bad Device never stops the others: an unknown protocol or a wrong configData is logged with
 * the field at fault, reported as state `unhealthy` (the mapper holds the device but cannot serve
 * it), and kept in `deviceStatus()` with its error, until an upsert fixes it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  DEVICE_TOPIC_PREFIX,
  InvalidInputError,
  SystemClock,
  createLogger,
  deviceTopic,
  errorMessage,
  type Clock,
  type Logger,
} from '@edgeproof/core';
import type { Device, DeviceModel } from '@edgeproof/crds';
import { Backoff, type BackoffOptions } from '../edgehub/backoff.ts';
import {
  deviceLabel,
  resolveDeviceTarget,
  type DeviceTarget,
  type PushMqttTarget,
} from './device-properties.ts';
import { DeviceRunner, type DeviceSink, type PropertyStatus } from './device-runner.ts';
import type { MapperProtocol } from './driver.ts';
import { modbusProtocol } from './modbus/modbus-driver.ts';
import { openMqttLink, type MqttLink } from './mqtt-link.ts';
import { opcuaProtocol } from './opcua/opcua-driver.ts';
import {
  parseTwinDelta,
  pushPayload,
  stateUpdatePayload,
  twinUpdatePayload,
  type MapperDeviceState,
  type TwinReading,
} from './payloads.ts';
import { PushPublisher } from './push-publisher.ts';
import { SerialQueue } from './serial-queue.ts';

/** The protocols edgeproof ships: `modbus` and `opcua`. */
export const DEFAULT_MAPPER_PROTOCOLS: readonly MapperProtocol[] = [modbusProtocol, opcuaProtocol];

/**
 * Device reconnect back-off: full jitter, from 500 ms up to 30 s. Devices are slower to come back
 * than a cloud link, and a field bus should not be hammered; ARCHITECTURE.md §5 asks for jittered
 * exponential back-off.
 */
export const DEVICE_BACKOFF: BackoffOptions = { baseMs: 500, factor: 2, capMs: 30_000, floorMs: 100 };

export type MapperManagerOptions = {
  /** The edge broker, e.g. `mqtt://127.0.0.1:1884` (eventbus internal broker, §7.1). */
  mqttUrl: string;
  /** Where drivers may keep files (OPC UA PKI): `<dataDir>/<protocol>/`. */
  dataDir: string;
  clock?: Clock;
  logger?: Logger;
  /** Used in the MQTT client id and logs. */
  nodeName?: string;
  /** Device reconnect back-off; default DEVICE_BACKOFF. */
  backoff?: BackoffOptions;
  /** Protocols to route to; default DEFAULT_MAPPER_PROTOCOLS. */
  protocols?: readonly MapperProtocol[];
  /** How long start() waits for the broker; default 10 000 ms. */
  brokerTimeoutMs?: number;
  /** For tests: how the broker link is opened. */
  openLink?: (url: string, clientId: string) => MqttLink;
};

/** What the manager knows about one Device. */
export type MapperDeviceStatus = {
  namespace: string;
  name: string;
  protocol?: string;
  /** `pending` before the first connection attempt has ended (or before start()). */
  state: MapperDeviceState | 'pending';
  connected: boolean;
  /** Why the Device is not run at all: its configuration is wrong. */
  error?: string;
  /** Why the device is offline, while it is. */
  lastError?: string;
  properties: Record<string, PropertyStatus>;
};

type Entry = {
  namespace: string;
  name: string;
  fingerprint: string;
  protocol?: string;
  runner?: DeviceRunner;
  error?: string;
};

const DELTA_TOPIC = `${DEVICE_TOPIC_PREFIX}+/+/twin/update/delta`;

export class MapperManager {
  private readonly options: MapperManagerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly protocols = new Map<string, MapperProtocol>();
  private readonly devices = new Map<string, Entry>();
  private readonly queue = new SerialQueue();
  private link: MqttLink | undefined;
  private push: PushPublisher | undefined;
  private phase: 'new' | 'starting' | 'running' | 'stopped' = 'new';

  /** Does no I/O (ARCHITECTURE.md §4). */
  constructor(options: MapperManagerOptions) {
    if (!options.mqttUrl)
      throw new InvalidInputError(
        'MapperManager: mqttUrl is required (the edge broker, e.g. mqtt://127.0.0.1:1884)',
      );
    if (!options.dataDir)
      throw new InvalidInputError('MapperManager: dataDir is required (drivers keep their files there)');
    this.options = options;
    this.clock = options.clock ?? new SystemClock();
    this.logger = options.logger ?? createLogger('mappers');
    for (const p of options.protocols ?? DEFAULT_MAPPER_PROTOCOLS)
      this.protocols.set(p.name.toLowerCase(), p);
  }

  /**
   * Connects to the broker, subscribes to twin deltas and starts every device added so far.
   * @throws BrokerUnavailableError when the broker cannot be reached in time.
   */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new InvalidInputError(`MapperManager.start(): already ${this.phase}`);
    this.phase = 'starting';
    // At most 23 characters, the length every MQTT 3.1.1 broker must accept [MQTT-3.1.3-5].
    const clientId = `mapper-${randomBytes(5).toString('hex')}`;
    const link = this.options.openLink
      ? this.options.openLink(this.options.mqttUrl, clientId)
      : openMqttLink(this.options.mqttUrl, { clientId, logger: this.logger.child('mqtt') });
    this.link = link;
    link.onMessage((topic, payload) => this.onMessage(topic, payload));
    link.onConnect(() => this.onBrokerConnect());
    try {
      await link.ready(this.options.brokerTimeoutMs ?? 10_000);
      await link.subscribe(DELTA_TOPIC, 1);
    } catch (err) {
      this.phase = 'stopped';
      await link.close().catch(() => undefined);
      throw err;
    }
    this.push = new PushPublisher({
      defaultLink: link,
      defaultUrl: this.options.mqttUrl,
      logger: this.logger.child('push'),
      clientIdPrefix: clientId,
      ...(this.options.openLink ? { openLink: this.options.openLink } : {}),
    });
    this.phase = 'running';
    await this.queue.run(() => {
      for (const entry of this.devices.values()) this.startEntry(entry);
      return Promise.resolve();
    });
    this.logger.info('mappers started', {
      broker: this.options.mqttUrl,
      clientId,
      node: this.options.nodeName,
      devices: this.devices.size,
    });
  }

  /** Stops every device and closes the broker links. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    await this.queue.run(async () => {
      const runners = [...this.devices.values()].flatMap((e) => (e.runner ? [e.runner] : []));
      await Promise.all(runners.map((r) => r.stop()));
    });
    await this.push?.close();
    await this.link?.close();
    this.logger.info('mappers stopped');
  }

  /**
   * Adds a Device or applies a change to it (an unchanged spec is a no-op). Never throws for a bad
   * Device: the returned status carries the error, which is also logged and reported as state.
   */
  upsertDevice(device: Device, model: DeviceModel): Promise<MapperDeviceStatus> {
    return this.queue.run(async () => {
      const namespace = device.metadata.namespace ?? 'default';
      const name = device.metadata.name;
      const id = `${namespace}/${name}`;
      const fingerprint = JSON.stringify([device.spec, model.metadata.name, model.spec]);
      const old = this.devices.get(id);
      if (old && old.fingerprint === fingerprint) return this.statusOf(old);
      if (old?.runner) await old.runner.stop();
      const entry = this.createEntry(device, model, namespace, name, fingerprint);
      this.devices.set(id, entry);
      if (this.phase === 'running') this.startEntry(entry);
      this.logger.info(old ? 'device updated' : 'device added', { device: id, protocol: entry.protocol });
      return this.statusOf(entry);
    });
  }

  /** Stops and forgets a Device. Resolves false when it was not known. */
  removeDevice(namespace: string, name: string): Promise<boolean> {
    return this.queue.run(async () => {
      const id = `${namespace}/${name}`;
      const entry = this.devices.get(id);
      if (!entry) return false;
      this.devices.delete(id);
      await entry.runner?.stop();
      this.logger.info('device removed', { device: id });
      return true;
    });
  }

  deviceStatus(namespace: string, name: string): MapperDeviceStatus | undefined {
    const entry = this.devices.get(`${namespace}/${name}`);
    return entry ? this.statusOf(entry) : undefined;
  }

  listDevices(): MapperDeviceStatus[] {
    return [...this.devices.values()].map((e) => this.statusOf(e));
  }

  private createEntry(
    device: Device,
    model: DeviceModel,
    namespace: string,
    name: string,
    fingerprint: string,
  ): Entry {
    const logger = this.logger.child(`${namespace}/${name}`);
    let target: DeviceTarget | undefined;
    try {
      target = resolveDeviceTarget(device, model);
      const protocol = this.protocols.get(target.protocol.toLowerCase());
      if (!protocol) {
        throw new InvalidInputError(
          `${deviceLabel(namespace, name)}: no mapper for protocol "${target.protocol}"; this edge runs ${[...this.protocols.keys()].join(', ')}`,
        );
      }
      const driver = protocol.createDriver(target, {
        clock: this.clock,
        logger,
        dataDir: join(this.options.dataDir, protocol.name),
      });
      const runner = new DeviceRunner({
        target,
        driver,
        sink: this.sinkFor(namespace, name),
        clock: this.clock,
        logger,
        backoff: new Backoff(this.options.backoff ?? DEVICE_BACKOFF),
      });
      return { namespace, name, fingerprint, protocol: protocol.name, runner };
    } catch (err) {
      const error = errorMessage(err);
      logger.error('device not started: its configuration is wrong', { error });
      return { namespace, name, fingerprint, ...(target ? { protocol: target.protocol } : {}), error };
    }
  }

  private startEntry(entry: Entry): void {
    if (entry.runner) entry.runner.start();
    else this.publishState(entry.namespace, entry.name, 'unhealthy');
  }

  private statusOf(entry: Entry): MapperDeviceStatus {
    const base = {
      namespace: entry.namespace,
      name: entry.name,
      ...(entry.protocol ? { protocol: entry.protocol } : {}),
    };
    if (!entry.runner) {
      return {
        ...base,
        state: 'unhealthy',
        connected: false,
        error: entry.error ?? 'not configured',
        properties: {},
      };
    }
    return { ...base, ...entry.runner.status() };
  }

  private sinkFor(namespace: string, name: string): DeviceSink {
    return {
      twin: (readings: TwinReading[]) => {
        const payload = twinUpdatePayload(readings, this.clock.now());
        // QoS 0 as mappers-go publishes (mappers/common/event.go): a lost reading is superseded by the next.
        this.link?.publish(deviceTopic(namespace, name, 'twin/update'), JSON.stringify(payload), { qos: 0 });
      },
      state: (state: MapperDeviceState) => this.publishState(namespace, name, state),
      push: (target: PushMqttTarget, reading: TwinReading) => {
        this.push?.publish(target, JSON.stringify(pushPayload(namespace, name, reading)));
      },
    };
  }

  private publishState(namespace: string, name: string, state: MapperDeviceState): void {
    if (this.phase !== 'running') return;
    const status = this.deviceStatus(namespace, name);
    const reason = state === 'online' ? undefined : (status?.error ?? status?.lastError);
    const payload = stateUpdatePayload(state, this.clock.now(), undefined, reason);
    // QoS 1: a state change is rare and matters; the broker link keeps it until delivered.
    this.link?.publish(deviceTopic(namespace, name, 'state/update'), JSON.stringify(payload), { qos: 1 });
  }

  private onBrokerConnect(): void {
    if (this.phase !== 'running') return;
    // The broker (or edgecore behind it) may have restarted: tell it the states again.
    for (const entry of this.devices.values()) {
      if (entry.runner) entry.runner.republishState();
      else this.publishState(entry.namespace, entry.name, 'unhealthy');
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (!topic.startsWith(DEVICE_TOPIC_PREFIX) || !topic.endsWith('/twin/update/delta')) return;
    const [namespace = '', name = ''] = topic.slice(DEVICE_TOPIC_PREFIX.length).split('/');
    const entry = this.devices.get(`${namespace}/${name}`);
    // Deltas for devices another mapper serves are none of our business.
    if (!entry?.runner) return;
    let delta: Record<string, string>;
    try {
      delta = parseTwinDelta(payload, topic);
    } catch (err) {
      this.logger.warn('ignoring malformed twin delta', { topic, error: errorMessage(err) });
      return;
    }
    entry.runner.applyDelta(delta);
  }
}
