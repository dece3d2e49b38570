/**
 * One stage of a link's toxic chain: an input queue, an output (the next stage's input, or the
 * link's writer), per-link toxic state, and the toxic currently piping — Shopify/toxiproxy
 * `toxics/toxic.go` `ToxicStub`. A stage can be interrupted (its toxic returns, holding no data)
 * and run again, which is how toxics are updated and removed on live connections.
 */
import { errorMessage } from '@edgeproof/core';
import type { ChunkQueue, Chunk, StreamEnd, StreamItem } from './chunk-queue.ts';
import { NOOP } from './toxics/noop.ts';
import type { ToxicKind, ToxicWrapper } from './toxic-kind.ts';
import type { ToxiproxyRuntime } from './runtime.ts';

export class ToxicStub {
  readonly input: ChunkQueue;
  /** Where this stage sends; re-pointed when a stage is added after it or removed after it. */
  output: ChunkQueue;
  /** The toxic of this stage; undefined for the hidden noop at the head of every chain. */
  toxic: ToxicWrapper | undefined;
  /** Per-link state of a stateful toxic (limit_data's byte count). */
  state: unknown;
  readonly runtime: ToxiproxyRuntime;
  private isClosed = false;
  private affected = true;
  private controller: AbortController | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    input: ChunkQueue,
    output: ChunkQueue,
    toxic: ToxicWrapper | undefined,
    runtime: ToxiproxyRuntime,
  ) {
    this.input = input;
    this.output = output;
    this.toxic = toxic;
    this.runtime = runtime;
    this.state = toxic?.kind.newState?.();
    this.draw();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Decides whether this link is affected: `toxicity` is the probability (toxics/toxic.go `Run`:
   * `rand.Float32() < toxic.Toxicity`, else a noop). Drawn when the toxic meets the link and again
   * when the toxic is updated; Go also re-draws whenever a neighbouring toxic is added or removed.
   */
  draw(): void {
    this.affected = this.toxic === undefined || Math.fround(this.runtime.random()) < this.toxic.toxicity;
  }

  /** Starts the toxic (or a noop when this link drew "not affected"). */
  run(): void {
    const controller = new AbortController();
    this.controller = controller;
    const toxic = this.toxic;
    const kind: ToxicKind = toxic !== undefined && this.affected ? toxic.kind : NOOP;
    this.running = kind.pipe(this, toxic?.attributes ?? {}, controller.signal).catch((err: unknown) => {
      this.runtime.logger.error('toxic failed; closing the link', {
        toxic: toxic?.name,
        err: errorMessage(err),
      });
      this.close('close');
    });
  }

  /**
   * Stops the running toxic and waits until it has returned. False when the stage is closed
   * already (toxics/toxic.go `InterruptToxic`).
   */
  async interrupt(): Promise<boolean> {
    if (this.isClosed) return false;
    this.controller?.abort();
    await this.running;
    return !this.isClosed;
  }

  /** Stops the toxic without waiting: the link is gone. */
  abort(): void {
    this.controller?.abort();
  }

  send(chunk: Chunk): void {
    if (chunk.data.length > 0) this.output.push(chunk);
  }

  /** Ends this stage's output; nothing more is read from its input (toxics/toxic.go `Close`). */
  close(end: StreamEnd['end']): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.input.seal();
    this.output.push({ end });
  }

  /** Waits `ms` on the injected clock; false when interrupted first. `ms <= 0` does not wait. */
  sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        timer.cancel();
        resolve(false);
      };
      const timer = this.runtime.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The next input item, `'timeout'` if none comes within `ms`, undefined when interrupted. */
  async takeWithin(ms: number, signal: AbortSignal): Promise<StreamItem | 'timeout' | undefined> {
    const inner = new AbortController();
    const onAbort = (): void => inner.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = this.runtime.clock.setTimeout(() => {
      timedOut = true;
      inner.abort();
    }, ms);
    try {
      const item = await this.input.take(inner.signal);
      if (item !== undefined) return item;
      return timedOut && !signal.aborted ? 'timeout' : undefined;
    } finally {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
    }
  }
}
