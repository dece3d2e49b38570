/**
 * Runs one device: connect with back-off, read each property every `collectCycle`, report the
 * readings every `reportCycle`, write desired values, and keep the device state.
 *
 * Timing follows mapper-framework (`_template/mapper/device/device.go` dataHandler/pushHandler,
 * `pkg/common/const.go` defaults): collection and reporting are separate tickers per property.
 * Here properties that share a cycle share one timer, and a report carries every property of its
 * group read since the previous report (one twin/update, not one per property).
 *
 * States (reported on `…/state/update`, kubeedge-protocol.md §7.2):
 * - `offline`: the driver cannot connect, or the link broke. Reconnects follow a jittered
 *   exponential back-off (ARCHITECTURE.md §5) on the injected clock; the schedule resets once a
 *   read succeeds on the new link, so a device that accepts connections and drops them at once
 *   keeps backing off.
 * - `unhealthy`: connected, but at least one property's last read failed (a Modbus exception, an
 *   OPC UA Bad status) or its value cannot be a twin value.
 * - `online`: connected and every property read as expected.
 * A state is published when it changes, again when the broker link comes back (`republishState`),
 * and every `spec.stateReport.reportCycle` ms when the Device asks for it.
 *
 * Desired values (`spec.properties[].desired.value`, then each twin/update/delta) are written to
 * ReadWrite properties only. The last desired value of each property is written again after every
 * reconnect, as mapper-framework does when it (re)starts a device (`setVisitor`): a device that
 * rebooted gets its set-points back.
 */
import { errorMessage, twinValueProblem, type Clock, type Logger, type TimerHandle } from '@edgeproof/core';
import type { Backoff } from '../edgehub/backoff.ts';
import type { DeviceTarget, PropertySpec, PushMqttTarget } from './device-properties.ts';
import type { DeviceDriver, DriverEvents } from './driver.ts';
import { DeviceLinkError } from './mapper-errors.ts';
import type { MapperDeviceState, TwinReading } from './payloads.ts';
import { SerialQueue } from './serial-queue.ts';
import { parseBooleanText, parseNumberText } from './value-text.ts';

/** Where a runner's output goes; the manager publishes it on MQTT. */
export interface DeviceSink {
  twin(readings: TwinReading[]): void;
  state(state: MapperDeviceState): void;
  push(target: PushMqttTarget, reading: TwinReading): void;
}

export type PropertyStatus = { value?: string; timestamp?: number; error?: string };

export type DeviceRunnerStatus = {
  /** `pending` until the first connection attempt has ended. */
  state: MapperDeviceState | 'pending';
  connected: boolean;
  /** Why the device is offline, when it is. */
  lastError?: string;
  properties: Record<string, PropertyStatus>;
};

export type DeviceRunnerOptions = {
  target: DeviceTarget;
  driver: DeviceDriver;
  sink: DeviceSink;
  clock: Clock;
  logger: Logger;
  backoff: Backoff;
};

/**
 * Why a desired value will not be written, or undefined when it may be. Rules: only ReadWrite
 * properties are written (mappers-go `setVisitor` skips ReadOnly ones); numbers and booleans must
 * parse as the DeviceModel type says, and numbers stay within the model's minimum/maximum.
 */
export function desiredValueProblem(
  spec: PropertySpec,
  modelName: string,
  value: string,
): string | undefined {
  if (spec.accessMode !== 'ReadWrite') {
    return `property "${spec.name}" is ${spec.accessMode} in DeviceModel ${modelName}; only ReadWrite properties are written`;
  }
  try {
    switch (spec.type) {
      case 'INT':
      case 'FLOAT':
      case 'DOUBLE': {
        const n = parseNumberText(value, `desired value of ${spec.name}`);
        if (spec.type === 'INT' && !Number.isInteger(n))
          return `desired value "${value}" of INT property "${spec.name}" is not an integer`;
        if (spec.minimum !== undefined && n < spec.minimum) {
          return `desired value ${value} of "${spec.name}" is below the DeviceModel minimum ${spec.minimum}`;
        }
        if (spec.maximum !== undefined && n > spec.maximum) {
          return `desired value ${value} of "${spec.name}" is above the DeviceModel maximum ${spec.maximum}`;
        }
        return undefined;
      }
      case 'BOOLEAN':
        parseBooleanText(value, `desired value of ${spec.name}`);
        return undefined;
      case 'STRING':
      case 'BYTES':
      case 'STREAM':
        return undefined;
    }
  } catch (err) {
    return errorMessage(err);
  }
}

type Reading = { value: string; timestamp: number; fresh: boolean };

export class DeviceRunner {
  private readonly target: DeviceTarget;
  private readonly driver: DeviceDriver;
  private readonly sink: DeviceSink;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private readonly specs = new Map<string, PropertySpec>();
  private readonly pushed: ReadonlySet<string>;
  /** One per link: an operation stuck on a dead link must not hold up the next link's. */
  private queue = new SerialQueue();

  private phase: 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped' = 'idle';
  private state: MapperDeviceState | undefined;
  /** Bumped on every connect and every loss, so late results of an old link are dropped. */
  private generation = 0;
  private cycleTimers: TimerHandle[] = [];
  private stateTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private closing: Promise<void> = Promise.resolve();
  private readonly readings = new Map<string, Reading>();
  private readonly failing = new Map<string, string>();
  private readonly desired = new Map<string, string>();
  private readonly collecting = new Set<number>();
  /** Last refusal logged per property (value and reason), so repeats are not logged as warnings. */
  private readonly refused = new Map<string, string>();
  /** The last value written (or refused by the device) on the current link, per property. */
  private readonly attempted = new Map<string, string>();
  private succeededOnLink = false;
  private lastError: string | undefined;

  constructor(options: DeviceRunnerOptions) {
    this.target = options.target;
    this.driver = options.driver;
    this.sink = options.sink;
    this.clock = options.clock;
    this.logger = options.logger;
    this.backoff = options.backoff;
    for (const p of this.target.properties) this.specs.set(p.name, p);
    this.pushed = this.driver.pushedProperties();
    for (const p of this.target.properties) {
      if (p.desired === undefined) continue;
      const problem =
        p.accessMode === 'ReadWrite' ? desiredValueProblem(p, this.target.modelName, p.desired) : undefined;
      if (problem) this.logger.warn(`spec desired value not written: ${problem}`, { property: p.name });
      else if (p.accessMode === 'ReadWrite') this.desired.set(p.name, p.desired);
    }
  }

  /** Starts connecting. Does nothing after `stop()`. */
  start(): void {
    if (this.phase !== 'idle') return;
    const every = this.target.stateReportCycleMs;
    if (every !== undefined && every > 0) {
      this.stateTimer = this.clock.setInterval(() => this.republishState(), every);
    }
    void this.connect();
  }

  /** Stops every timer and closes the device link. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    this.generation++;
    this.stopCycles();
    this.retryTimer?.cancel();
    this.stateTimer?.cancel();
    await this.closing;
    await this.driver.close().catch(() => undefined);
  }

  /** Publishes the current state again (after the broker link came back). */
  republishState(): void {
    if (this.state !== undefined && this.phase !== 'stopped') this.sink.state(this.state);
  }

  status(): DeviceRunnerStatus {
    const properties: Record<string, PropertyStatus> = {};
    for (const name of this.specs.keys()) {
      const r = this.readings.get(name);
      const error = this.failing.get(name);
      properties[name] = {
        ...(r ? { value: r.value, timestamp: r.timestamp } : {}),
        ...(error !== undefined ? { error } : {}),
      };
    }
    return {
      state: this.state ?? 'pending',
      connected: this.phase === 'connected',
      ...(this.lastError !== undefined && this.phase !== 'connected' ? { lastError: this.lastError } : {}),
      properties,
    };
  }

  /**
   * Takes the expected values of a twin/update/delta. Values for unknown or ReadOnly properties
   * are refused with a logged reason; the rest are written now, or after the next connect.
   */
  applyDelta(delta: Record<string, string>): void {
    for (const [name, value] of Object.entries(delta)) {
      const spec = this.specs.get(name);
      const problem = spec
        ? desiredValueProblem(spec, this.target.modelName, value)
        : `the Device has no property "${name}"`;
      if (!spec || problem) {
        this.refuse(name, value, problem ?? '');
        continue;
      }
      this.refused.delete(name);
      if (this.phase !== 'connected') {
        this.desired.set(name, value);
        this.logger.info('device not connected; desired value will be written after reconnect', {
          property: name,
          value,
        });
        continue;
      }
      this.desired.set(name, value);
      // edgecore sends the delta again after every report that has not converged (devicetwin
      // device-twin.ts). A value the device already holds, or one already written (or refused by
      // the device) on this link, is not written again: one write per desired value per link.
      const current = this.readings.get(name);
      if (current && !this.failing.has(name) && sameValue(spec, current.value, value)) {
        this.logger.debug('desired value already on the device', { property: name, value });
        continue;
      }
      if (this.attempted.get(name) === value) {
        this.logger.debug('desired value already written on this link', { property: name, value });
        continue;
      }
      void this.write(spec, value, this.generation);
    }
  }

  /** Logs a refused write once per property and value; repeats (every unconverged report) go to debug. */
  private refuse(name: string, value: string, problem: string): void {
    const key = `${value}\u0000${problem}`;
    if (this.refused.get(name) === key) {
      this.logger.debug(`write refused: ${problem}`, { property: name, value });
      return;
    }
    this.refused.set(name, key);
    this.logger.warn(`write refused: ${problem}`, { property: name, value });
  }

  private async connect(): Promise<void> {
    if (this.phase === 'stopped') return;
    const gen = ++this.generation;
    this.phase = 'connecting';
    // Cleared before connecting: a driver may report property errors while it connects (an OPC UA
    // monitored item for a node that does not exist).
    this.failing.clear();
    this.attempted.clear();
    this.succeededOnLink = false;
    await this.closing;
    try {
      await this.driver.connect(this.events(gen));
    } catch (err) {
      if (gen !== this.generation) return;
      this.linkDown(err, 'cannot connect');
      return;
    }
    if (gen !== this.generation) {
      // stop() came while connecting.
      await this.driver.close().catch(() => undefined);
      return;
    }
    this.phase = 'connected';
    this.queue = new SerialQueue();
    this.lastError = undefined;
    this.logger.info('device connected');
    this.setState(this.failing.size > 0 ? 'unhealthy' : 'online');
    const polled = this.target.properties.filter((p) => !this.pushed.has(p.name));
    if (polled.length === 0) this.linkWorks();
    for (const [name, value] of this.desired) {
      const spec = this.specs.get(name);
      if (spec) void this.write(spec, value, gen);
    }
    this.startCycles(gen, polled);
  }

  private events(gen: number): DriverEvents {
    return {
      value: (property, value, timestamp) => {
        const spec = this.specs.get(property);
        if (gen === this.generation && this.isLinkUp() && spec) {
          this.onReading(spec, value, timestamp ?? this.clock.now());
          this.updateHealth();
        }
      },
      propertyError: (property, error) => {
        const spec = this.specs.get(property);
        if (gen === this.generation && this.isLinkUp() && spec) {
          this.onPropertyError(spec, error);
          this.updateHealth();
        }
      },
      lost: (error) => {
        if (gen === this.generation && this.phase === 'connected') this.linkDown(error, 'link lost');
      },
    };
  }

  /** Connected, or connecting on the current link (whose driver may already send events). */
  private isLinkUp(): boolean {
    return this.phase === 'connected' || this.phase === 'connecting';
  }

  private startCycles(gen: number, polled: PropertySpec[]): void {
    for (const [cycle, group] of groupBy(polled, (p) => p.collectCycleMs)) {
      this.cycleTimers.push(this.clock.setInterval(() => void this.collect(cycle, group, gen), cycle));
      void this.collect(cycle, group, gen);
    }
    for (const [cycle, group] of groupBy(this.target.properties, (p) => p.reportCycleMs)) {
      this.cycleTimers.push(this.clock.setInterval(() => this.report(group), cycle));
    }
  }

  private stopCycles(): void {
    for (const t of this.cycleTimers) t.cancel();
    this.cycleTimers = [];
    this.collecting.clear();
  }

  /** One collect round of a cycle group. A round still running when the next is due is not doubled. */
  private async collect(cycle: number, group: PropertySpec[], gen: number): Promise<void> {
    if (this.collecting.has(cycle)) return;
    this.collecting.add(cycle);
    try {
      for (const spec of group) {
        if (gen !== this.generation || this.phase !== 'connected') return;
        try {
          const value = await this.queue.run(() => this.driver.read(spec.name));
          if (gen !== this.generation) return;
          this.onReading(spec, value, this.clock.now());
        } catch (err) {
          if (gen !== this.generation) return;
          if (err instanceof DeviceLinkError) {
            this.linkDown(err, 'link lost');
            return;
          }
          this.onPropertyError(spec, err);
        }
      }
      this.updateHealth();
    } finally {
      if (gen === this.generation) this.collecting.delete(cycle);
    }
  }

  private onReading(spec: PropertySpec, value: string, timestamp: number): void {
    const problem = twinValueProblem(value);
    if (problem) {
      this.onPropertyError(spec, new Error(`read "${value}", which cannot be reported: ${problem}`));
      return;
    }
    this.readings.set(spec.name, { value, timestamp, fresh: true });
    if (this.failing.delete(spec.name)) this.logger.info('property readable again', { property: spec.name });
    this.linkWorks();
  }

  private linkWorks(): void {
    if (this.succeededOnLink) return;
    this.succeededOnLink = true;
    this.backoff.reset();
  }

  private onPropertyError(spec: PropertySpec, err: unknown): void {
    const message = errorMessage(err);
    if (this.failing.get(spec.name) !== message) {
      this.logger.warn('property read failed', { property: spec.name, error: message });
    }
    this.failing.set(spec.name, message);
  }

  private updateHealth(): void {
    if (this.phase !== 'connected') return;
    this.setState(this.failing.size > 0 ? 'unhealthy' : 'online');
  }

  private report(group: PropertySpec[]): void {
    const readings: TwinReading[] = [];
    for (const spec of group) {
      const r = this.readings.get(spec.name);
      if (!r?.fresh) continue;
      r.fresh = false;
      const reading = {
        property: spec.name,
        value: r.value,
        type: spec.type.toLowerCase(),
        timestamp: r.timestamp,
      };
      if (spec.reportToCloud) readings.push(reading);
      if (spec.pushMqtt) this.sink.push(spec.pushMqtt, reading);
    }
    if (readings.length > 0) this.sink.twin(readings);
  }

  private async write(spec: PropertySpec, value: string, gen: number): Promise<void> {
    this.attempted.set(spec.name, value);
    try {
      await this.queue.run(() => this.driver.write(spec.name, value));
    } catch (err) {
      if (gen !== this.generation) return;
      if (err instanceof DeviceLinkError) {
        // Not written: the next link writes the desired value again.
        this.linkDown(err, 'link lost');
        return;
      }
      // The device or the codec refused this value: writing it again would fail the same way.
      if (this.desired.get(spec.name) === value) this.desired.delete(spec.name);
      this.logger.warn('write failed', { property: spec.name, value, error: errorMessage(err) });
      return;
    }
    if (gen !== this.generation) return;
    this.logger.info('desired value written', { property: spec.name, value });
    if (this.pushed.has(spec.name)) return;
    // Read back and report at once, so the twin's actual catches up without waiting a cycle.
    try {
      const actual = await this.queue.run(() => this.driver.read(spec.name));
      if (gen !== this.generation) return;
      this.onReading(spec, actual, this.clock.now());
      this.updateHealth();
      this.report([spec]);
    } catch (err) {
      if (gen !== this.generation) return;
      if (err instanceof DeviceLinkError) this.linkDown(err, 'link lost');
      else {
        this.onPropertyError(spec, err);
        this.updateHealth();
      }
    }
  }

  private linkDown(err: unknown, what: string): void {
    const message = errorMessage(err);
    const wasConnected = this.phase === 'connected';
    this.generation++;
    this.stopCycles();
    if (wasConnected) {
      this.closing = this.driver.close().catch(() => undefined);
    }
    const delay = this.backoff.next();
    if (wasConnected || this.state !== 'offline' || this.lastError !== message) {
      this.logger.warn(`device ${what}; retrying`, { error: message, retryInMs: delay });
    } else {
      this.logger.debug(`device ${what}; retrying`, {
        error: message,
        retryInMs: delay,
        attempt: this.backoff.attempts,
      });
    }
    this.lastError = message;
    this.phase = 'waiting';
    this.setState('offline');
    this.retryTimer = this.clock.setTimeout(() => void this.connect(), delay);
  }

  private setState(state: MapperDeviceState): void {
    if (state === this.state || this.phase === 'stopped') return;
    const previous = this.state;
    this.state = state;
    this.logger.info('device state', { state, previous });
    this.sink.state(state);
  }
}

/** Whether two twin texts mean the same value of the property's type ("65" and "65.0", "1" and "true"). */
function sameValue(spec: PropertySpec, a: string, b: string): boolean {
  if (a === b) return true;
  try {
    switch (spec.type) {
      case 'INT':
      case 'FLOAT':
      case 'DOUBLE':
        return parseNumberText(a, spec.name) === parseNumberText(b, spec.name);
      case 'BOOLEAN':
        return parseBooleanText(a, spec.name) === parseBooleanText(b, spec.name);
      case 'STRING':
      case 'BYTES':
      case 'STREAM':
        return false;
    }
  } catch {
    return false;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
