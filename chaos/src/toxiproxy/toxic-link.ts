/**
 * One direction of a proxied connection: bytes read from `source` pass through a chain of toxic
 * stages and are written to `dest` — Shopify/toxiproxy `link.go` `ToxicLink`:
 *
 *   source > noop > toxic 1 > … > toxic n > writer > dest
 *
 * Toxics added to the proxy while the connection lives are appended to the chain, updated
 * toxics restart in place, removed toxics are cut out after passing on what they held
 * (`AddToxic` / `UpdateToxic` / `RemoveToxic`). When the stream ends the writer closes `dest`
 * completely, as Go's `dest.Close()` does: Toxiproxy does not forward half-closes.
 *
 * Unlike Go's unbuffered channels the queues here do not block, so the link pauses `source`
 * when more than HIGH_WATER bytes wait inside it and resumes below LOW_WATER: memory stays
 * bounded and TCP flow control reaches the sender, as it does through Toxiproxy.
 */
import type { Socket } from 'node:net';
import type { TimerHandle } from '@edgeproof/core';
import { ChunkQueue, isEnd, type StreamEnd } from './chunk-queue.ts';
import type { StreamDirection, ToxicWrapper } from './toxic-kind.ts';
import { ToxicStub } from './toxic-stub.ts';
import type { ToxiproxyRuntime } from './runtime.ts';

const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 << 10;
/** How long a closing socket may take to flush before it is destroyed anyway. */
const CLOSE_FLUSH_MS = 30_000;

export type ToxicLinkOptions = {
  direction: StreamDirection;
  /** The proxy's toxics for this direction, at the moment the connection starts. */
  chain: readonly ToxicWrapper[];
  source: Socket;
  dest: Socket;
  runtime: ToxiproxyRuntime;
  /** A reset_peer toxic fired: the connection resets both its sockets. */
  onReset: () => void;
};

export class ToxicLink {
  readonly direction: StreamDirection;
  private readonly source: Socket;
  private readonly dest: Socket;
  private readonly runtime: ToxiproxyRuntime;
  private readonly onReset: () => void;
  private readonly stubs: ToxicStub[] = [];
  private readonly sink: ChunkQueue;
  private readonly writer = new AbortController();
  private paused = false;
  private inputEnded = false;
  private flushTimer: TimerHandle | undefined;

  constructor(options: ToxicLinkOptions) {
    this.direction = options.direction;
    this.source = options.source;
    this.dest = options.dest;
    this.runtime = options.runtime;
    this.onReset = options.onReset;
    const onTake = (): void => this.maybeResume();
    this.sink = new ChunkQueue(onTake);
    let input = new ChunkQueue(onTake);
    const toxics: (ToxicWrapper | undefined)[] = [undefined, ...options.chain];
    toxics.forEach((toxic, i) => {
      const output = i === toxics.length - 1 ? this.sink : new ChunkQueue(onTake);
      this.stubs.push(new ToxicStub(input, output, toxic, this.runtime));
      input = output;
    });
  }

  /** Starts reading `source`, the toxics, and the writer. */
  start(): void {
    const head = this.stubs[0];
    if (head === undefined) return;
    this.source.on('data', (data: Buffer) => {
      head.input.push({ data, ts: this.runtime.clock.now() });
      if (!this.paused && this.queued() > HIGH_WATER) {
        this.paused = true;
        this.source.pause();
      }
    });
    // io.Copy in link.go `read` returns on EOF and on errors alike; both end the input.
    const endInput = (): void => {
      if (this.inputEnded) return;
      this.inputEnded = true;
      head.input.push({ end: 'close' });
    };
    this.source.on('end', endInput);
    this.source.on('close', endInput);
    for (const stub of this.stubs) stub.run();
    void this.write();
  }

  /** toxic_collection.go `chainAddToxic` → link.go `AddToxic`: appended to the live chain. */
  addToxic(toxic: ToxicWrapper): void {
    const last = this.stubs.at(-1);
    if (last === undefined || last.closed) return; // the link is closing: nothing to add to
    const stub = new ToxicStub(new ChunkQueue(() => this.maybeResume()), this.sink, toxic, this.runtime);
    last.output = stub.input;
    this.stubs.push(stub);
    stub.run();
  }

  /** link.go `UpdateToxic`: the stage is interrupted and runs again with the new attributes. */
  async updateToxic(toxic: ToxicWrapper): Promise<void> {
    const stub = this.stubs.find((s) => s.toxic?.name === toxic.name);
    if (stub === undefined || !(await stub.interrupt())) return;
    stub.toxic = toxic;
    stub.draw();
    stub.run();
  }

  /**
   * link.go `RemoveToxic`: the stage is interrupted (it passes on the chunk it held), its
   * `cleanup` runs (timeout closes the link), else what waits in its input moves on to its
   * output and the stage before it sends straight there.
   */
  async removeToxic(toxic: ToxicWrapper): Promise<void> {
    const stub = this.stubs.find((s) => s.toxic?.name === toxic.name);
    if (stub === undefined || !(await stub.interrupt())) return;
    toxic.kind.cleanup?.(stub);
    if (stub.closed) return;
    const i = this.stubs.indexOf(stub);
    const previous = this.stubs[i - 1];
    if (previous === undefined) return;
    for (const item of stub.input.drain()) stub.output.push(item);
    previous.output = stub.output;
    this.stubs.splice(i, 1);
  }

  /** The connection is gone: stop every toxic and the writer. */
  dispose(): void {
    for (const stub of this.stubs) stub.abort();
    this.writer.abort();
    this.flushTimer?.cancel();
  }

  private queued(): number {
    let bytes = this.sink.bytes;
    for (const stub of this.stubs) bytes += stub.input.bytes;
    return bytes;
  }

  private maybeResume(): void {
    if (this.paused && this.queued() < LOW_WATER) {
      this.paused = false;
      if (!this.source.destroyed) this.source.resume();
    }
  }

  /** link.go `write`: chain output to `dest`, honouring its back-pressure. */
  private async write(): Promise<void> {
    for (;;) {
      const item = await this.sink.take(this.writer.signal);
      if (item === undefined) return;
      if (isEnd(item)) {
        this.finish(item.end);
        return;
      }
      if (this.dest.destroyed || this.dest.writableEnded) continue;
      if (!this.dest.write(item.data)) await drained(this.dest, this.writer.signal);
    }
  }

  private finish(end: StreamEnd['end']): void {
    if (end === 'reset') {
      this.onReset();
      return;
    }
    if (this.dest.destroyed) return;
    // Go's dest.Close(): flush what was written, then close the socket both ways.
    this.dest.end(() => this.dest.destroy());
    this.flushTimer = this.runtime.clock.setTimeout(() => this.dest.destroy(), CLOSE_FLUSH_MS);
    this.dest.once('close', () => this.flushTimer?.cancel());
  }
}

function drained(socket: Socket, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
