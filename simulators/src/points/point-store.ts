/**
 * The current signal of every point and the time it started, shared by both simulators. A point's
 * value is its signal evaluated at `clock.now() - epoch`, computed when a client reads it.
 *
 * The write rule: a client write (Modbus FC5/6/15/16, OPC UA Write) makes the point hold the
 * written value — its signal becomes `constant(written value)` with source `write` — until a new
 * signal is set through the API (`setSignal`, `PUT /points/{name}/signal`). A sine, ramp or replay
 * does not overwrite a written value: writes are how mappers set setpoints, and a setpoint that
 * drifts back would hide a failed write.
 */
import { InvalidInputError, type Clock } from '@edgeproof/core';
import { evaluateSignal, type SignalFunction } from '../signals/evaluate-signal.ts';
import type { SignalModel, SignalValue } from '../signals/signal-model.ts';

/** Who set a point's current signal. */
export type PointSource = 'config' | 'api' | 'write';

type Entry = {
  signal: SignalModel;
  fn: SignalFunction;
  epoch: number | undefined;
  source: PointSource;
  since: number | undefined;
};

export type PointSignalState = { signal: SignalModel; source: PointSource; since: string | undefined };

const DEFAULT_SIGNAL: SignalModel = { kind: 'constant', value: 0 };

export class PointStore {
  private readonly clock: Clock;
  private readonly entries = new Map<string, Entry>();

  constructor(points: readonly { name: string; signal?: SignalModel }[], clock: Clock) {
    this.clock = clock;
    for (const p of points) {
      const signal = p.signal ?? DEFAULT_SIGNAL;
      this.entries.set(p.name, {
        signal,
        fn: evaluateSignal(signal),
        epoch: undefined,
        source: 'config',
        since: undefined,
      });
    }
  }

  /** Starts the configured signals' time at now. */
  start(): void {
    const now = this.clock.now();
    for (const e of this.entries.values()) {
      if (e.epoch === undefined) {
        e.epoch = now;
        e.since = now;
      }
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The value now (before start(), the value at the signal's time 0). */
  value(name: string): SignalValue {
    const e = this.entry(name);
    return e.fn(e.epoch === undefined ? 0 : this.clock.now() - e.epoch);
  }

  state(name: string): PointSignalState {
    const e = this.entry(name);
    return {
      signal: e.signal,
      source: e.source,
      since: e.since === undefined ? undefined : new Date(e.since).toISOString(),
    };
  }

  /** Replaces the signal; its time starts now. */
  setSignal(name: string, signal: SignalModel, source: PointSource = 'api'): void {
    const e = this.entry(name);
    const now = this.clock.now();
    Object.assign(e, { signal, fn: evaluateSignal(signal), epoch: now, since: now, source });
  }

  /** A client wrote `value`: the point holds it (see the write rule above). */
  write(name: string, value: SignalValue): void {
    this.setSignal(name, { kind: 'constant', value }, 'write');
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e)
      throw new InvalidInputError(
        `unknown point ${JSON.stringify(name)}; points are ${this.names().join(', ')}`,
      );
    return e;
  }
}
