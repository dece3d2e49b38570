/**
 * Flaps a link on a schedule: down for `downMs`, up for `upMs`, for `cycles` cycles (or until
 * stopped), with one of the ProxyFaults as the "down" state. Timers run on the injected Clock,
 * so unit tests step a FakeClock instead of sleeping (ARCHITECTURE.md §4). The schedule is fixed
 * in advance — a transition that takes long to apply does not shift the next one — and
 * transitions are applied one at a time, in order.
 */
import {
  errorMessage,
  InvalidInputError,
  silentLogger,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@edgeproof/core';
import type { ProxyFaults } from './proxy-faults.ts';

export type FlapFault = 'partition' | 'black-hole' | 'half-open';

export type FlapOptions = {
  downMs: number;
  upMs: number;
  /** Down/up cycles; default unlimited (until `stop`). */
  cycles?: number;
  /** What "down" means; default partition (a clean close). */
  fault?: FlapFault;
  clock: Clock;
  logger?: Logger;
  /** Called after each transition has been applied. */
  onChange?: (state: 'down' | 'up', cycle: number) => void;
};

export class LinkFlapper {
  private readonly faults: ProxyFaults;
  private readonly options: FlapOptions;
  private readonly log: Logger;
  private timer: TimerHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private current: 'up' | 'down' = 'up';
  private cycle = 0;
  private stopped = false;
  private failure: unknown;
  private finished: () => void = () => {};
  private readonly done: Promise<void>;

  constructor(faults: ProxyFaults, options: FlapOptions) {
    for (const key of ['downMs', 'upMs'] as const) {
      if (!Number.isFinite(options[key]) || options[key] <= 0) {
        throw new InvalidInputError(
          `flap ${key} must be a positive number of milliseconds, not ${options[key]}`,
        );
      }
    }
    if (options.cycles !== undefined && (!Number.isSafeInteger(options.cycles) || options.cycles < 1)) {
      throw new InvalidInputError(`flap cycles must be a whole number of at least 1, not ${options.cycles}`);
    }
    this.faults = faults;
    this.options = options;
    this.log = options.logger ?? silentLogger();
    this.done = new Promise((resolve) => (this.finished = resolve));
  }

  /** The state last applied. */
  get state(): 'up' | 'down' {
    return this.current;
  }

  /** Cycles begun so far. */
  get cycles(): number {
    return this.cycle;
  }

  /** The first error a transition met (the schedule carries on), if any. */
  get error(): unknown {
    return this.failure;
  }

  /** Takes the link down now and starts the schedule. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.goDown();
  }

  /** Resolves once every transition scheduled so far has been applied. */
  async idle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.chain) {
      seen = this.chain;
      await seen;
    }
  }

  /** Resolves when the last cycle has ended with the link up (never, without `cycles`, until stop). */
  finishedAll(): Promise<void> {
    return this.done;
  }

  /** Cancels the schedule and leaves the link up. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.apply('up');
    await this.idle();
    this.finished();
  }

  private goDown(): void {
    this.cycle++;
    this.apply('down');
    this.timer = this.options.clock.setTimeout(() => this.goUp(), this.options.downMs);
  }

  private goUp(): void {
    this.apply('up');
    if (this.options.cycles !== undefined && this.cycle >= this.options.cycles) {
      this.timer = undefined;
      void this.idle().then(() => this.finished());
      return;
    }
    this.timer = this.options.clock.setTimeout(() => this.goDown(), this.options.upMs);
  }

  private apply(state: 'up' | 'down'): void {
    const cycle = this.cycle;
    this.chain = this.chain.then(async () => {
      if (state === this.current) return;
      try {
        await this.transition(state);
        this.current = state;
        this.log.info(`link ${state}`, {
          proxy: this.faults.proxy,
          cycle,
          fault: this.options.fault ?? 'partition',
        });
        this.options.onChange?.(state, cycle);
      } catch (err) {
        this.failure ??= err;
        this.log.error(`could not take the link ${state}`, {
          proxy: this.faults.proxy,
          err: errorMessage(err),
        });
      }
    });
  }

  private async transition(state: 'up' | 'down'): Promise<void> {
    const fault = this.options.fault ?? 'partition';
    switch (fault) {
      case 'partition':
        return state === 'down' ? this.faults.partition() : this.faults.restore();
      case 'black-hole':
        return state === 'down' ? this.faults.blackHole() : this.faults.removeBlackHole();
      case 'half-open':
        return state === 'down' ? this.faults.halfOpen() : this.faults.removeHalfOpen();
    }
  }
}
