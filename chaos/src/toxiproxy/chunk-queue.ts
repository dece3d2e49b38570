/**
 * The queue between two stages of a toxic chain: the JavaScript stand-in for the Go channels of
 * Shopify/toxiproxy `link.go` / `stream/io_chan.go`. A chunk carries the time it was read from the
 * socket (Go's `StreamChunk.Timestamp`), which the latency toxic measures from.
 *
 * The end of the stream is sticky, like a closed Go channel that keeps yielding nil: once the end
 * is at the head, every `take` returns it and it is never consumed. A toxic that is interrupted
 * while it holds the end (slow_close waiting its delay) therefore finds it again when it runs on.
 */
export type Chunk = { readonly data: Buffer; readonly ts: number };

/** End of stream: `close` is an orderly close (FIN), `reset` a TCP RST (the reset_peer toxic). */
export type StreamEnd = { readonly end: 'close' | 'reset' };

export type StreamItem = Chunk | StreamEnd;

export function isEnd(item: StreamItem): item is StreamEnd {
  return 'end' in item;
}

export class ChunkQueue {
  private items: StreamItem[] = [];
  private queuedBytes = 0;
  private sealed = false;
  private wake: (() => void) | undefined;
  private readonly onTake: (() => void) | undefined;

  /** `onTake` runs whenever bytes leave the queue: the link uses it to resume a paused socket. */
  constructor(onTake?: () => void) {
    this.onTake = onTake;
  }

  /** Bytes of data waiting. */
  get bytes(): number {
    return this.queuedBytes;
  }

  push(item: StreamItem): void {
    if (this.sealed) return;
    this.items.push(item);
    if (!isEnd(item)) this.queuedBytes += item.data.length;
    this.wake?.();
  }

  /**
   * The next item, or undefined once `signal` aborts (a toxic being interrupted). Only one taker
   * at a time: the stage's running toxic.
   */
  async take(signal: AbortSignal): Promise<StreamItem | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      const head = this.items[0];
      if (head !== undefined) {
        if (isEnd(head)) return head;
        this.items.shift();
        this.queuedBytes -= head.data.length;
        this.onTake?.();
        return head;
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          if (this.wake === done) this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Removes and returns everything waiting, the end of stream included. */
  drain(): StreamItem[] {
    const items = this.items;
    this.items = [];
    this.queuedBytes = 0;
    if (items.length > 0) this.onTake?.();
    return items;
  }

  /**
   * Drops what waits and everything pushed from now on: a closed toxic reads no more (in Go the
   * sender would block on a channel nobody reads; dropping keeps memory bounded instead).
   */
  seal(): void {
    this.sealed = true;
    this.drain();
  }
}
