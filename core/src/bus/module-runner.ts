/**
 * One module on the bus: its mailbox, its one-at-a-time dispatch loop, and its supervision. A
 * handler that throws or rejects does not take the process down: the failing message is dropped,
 * the error is logged with the module's name, and dispatch resumes after an exponential backoff
 * (beehive's localModuleKeeper restart policy, `beehive/pkg/core/core.go`). The mailbox keeps
 * filling per its policy while the module waits.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { errorMessage } from '../errors.ts';
import { Mailbox, type OfferResult } from './mailbox.ts';
import { RestartBackoff } from './restart-backoff.ts';
import type {
  BusEnvelope,
  BusHandler,
  BusTopicMap,
  MailboxOptions,
  ModuleContext,
  ModuleState,
  ModuleStats,
  RestartPolicy,
} from './types.ts';

export type ModuleRunnerOptions<T extends BusTopicMap> = {
  name: string;
  group: string | undefined;
  /** Topics the module accepts; undefined means all. */
  topics: ReadonlySet<string> | undefined;
  mailbox: MailboxOptions;
  restart: RestartPolicy;
  handler: BusHandler<T>;
  context: ModuleContext<T>;
  clock: Clock;
  logger: Logger;
  /** Told about each message a drop policy discards. */
  onDropped: (msg: BusEnvelope<T>) => void;
  /** Told about each message whose handler failed. */
  onFailed: (msg: BusEnvelope<T>, err: unknown) => void;
};

/** Runs one module's handler over its mailbox, in order, and restarts it with backoff on failure. */
export class ModuleRunner<T extends BusTopicMap> {
  readonly name: string;
  readonly group: string | undefined;
  private readonly options: ModuleRunnerOptions<T>;
  private readonly mailbox: Mailbox<BusEnvelope<T>>;
  private readonly backoff: RestartBackoff;
  private state: ModuleState = 'idle';
  private scheduled = false;
  private inflight: Promise<void> = Promise.resolve();
  private restartTimer: TimerHandle | undefined;
  private delivered = 0;
  private failed = 0;
  private dropped = 0;
  private rejected = 0;
  private restarts = 0;

  constructor(options: ModuleRunnerOptions<T>) {
    this.name = options.name;
    this.group = options.group;
    this.options = options;
    this.mailbox = new Mailbox(options.mailbox);
    this.backoff = new RestartBackoff(options.restart);
  }

  accepts(topic: string): boolean {
    return this.options.topics === undefined || this.options.topics.has(topic);
  }

  /** True when offering a message now would be refused by the 'reject' policy. */
  wouldReject(): boolean {
    return this.mailbox.overflow === 'reject' && this.mailbox.isFull();
  }

  get capacity(): number {
    return this.mailbox.capacity;
  }

  get overflow(): MailboxOptions['overflow'] {
    return this.mailbox.overflow;
  }

  /** Queues `msg` per the overflow policy and wakes the dispatch loop. */
  offer(msg: BusEnvelope<T>): OfferResult<BusEnvelope<T>> {
    const result = this.mailbox.offer(msg);
    switch (result.kind) {
      case 'rejected':
        this.rejected++;
        return result;
      case 'dropped':
        this.dropped++;
        this.options.onDropped(result.dropped);
        break;
      case 'queued':
        break;
    }
    this.kick();
    return result;
  }

  /** Begins dispatching; messages queued before start are handled first, in order. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.backoff.resumed(this.options.clock.now());
    this.kick();
  }

  /**
   * Stops dispatch, cancels a pending restart and discards queued messages (counted as dropped).
   * Resolves once a handler call in flight has settled.
   */
  stop(): Promise<void> {
    this.state = 'stopped';
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    this.dropped += this.mailbox.clear().length;
    return this.inflight;
  }

  stats(): ModuleStats {
    return {
      state: this.state,
      queued: this.mailbox.size,
      delivered: this.delivered,
      failed: this.failed,
      dropped: this.dropped,
      rejected: this.rejected,
      restarts: this.restarts,
    };
  }

  private kick(): void {
    if (this.state !== 'running' || this.scheduled || this.mailbox.size === 0) return;
    this.scheduled = true;
    // Dispatch on a microtask, never inside the sender's call: a handler must not run on the stack
    // of a `send` (re-entrancy), and a sender must not see its receiver's exceptions.
    queueMicrotask(() => {
      this.inflight = this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.state !== 'running') return;
        const msg = this.mailbox.take();
        if (msg === undefined) return;
        try {
          await this.options.handler(msg, this.options.context);
          this.delivered++;
        } catch (err) {
          this.fail(msg, err);
          return;
        }
      }
    } finally {
      this.scheduled = false;
    }
  }

  private fail(msg: BusEnvelope<T>, err: unknown): void {
    this.failed++;
    if (this.state === 'stopped') {
      // The bus stopped while this handler ran: nothing to restart.
      this.options.logger.warn('module handler failed during stop', { module: this.name, err });
      this.options.onFailed(msg, err);
      return;
    }
    const { clock, logger } = this.options;
    const delayMs = this.backoff.next(clock.now());
    this.restarts++;
    this.state = 'restarting';
    logger.error('module handler failed, restarting after backoff', {
      module: this.name,
      topic: msg.topic,
      msgId: msg.id,
      restartInMs: delayMs,
      restarts: this.restarts,
      err: errorMessage(err),
    });
    this.options.onFailed(msg, err);
    this.restartTimer = clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state !== 'restarting') return;
      this.state = 'running';
      this.backoff.resumed(clock.now());
      this.kick();
    }, delayMs);
  }
}
