/**
 * UploadForwarder: what devices and apps publish on the upload topics (`$hw/events/upload/#`,
 * `SYS/dis/upload_records`, `+/user/#`, and any extra subscribed topic) goes to the cloud as a
 * message with source `bus`, group `user`, operation `upload`, resource = the topic and content =
 * the payload as a string (kubeedge-protocol.md §7.2; `edge/pkg/eventbus/mqtt/handler.go`
 * handleUploadTopic), which cloudhub hands to the router.
 *
 * KubeEdge sends an upload to EdgeHub and forgets it: made while the cloud is unreachable, it is
 * lost. Here every upload is first written to SQLite (`UpstreamQueue`, synchronous = FULL) as the
 * encoded message, and leaves it only once the CloudLink took it while connected; after a
 * reconnect the backlog goes out oldest first, in batches, keeping each message's original id and
 * timestamp (ARCHITECTURE.md §5). Uploads are events, not states, so they are not coalesced: each
 * has its own key. The backlog is bounded (`maxQueued`); past it the oldest are dropped, with a
 * warning, so a node offline for weeks does not fill its disk.
 */
import {
  decodeMessage,
  encodeMessage,
  errorMessage,
  messageBuilder,
  type Clock,
  type Logger,
  type MessageBuilder,
  type TimerHandle,
} from '@edgeproof/core';
import type { QueuedUpload, UpstreamQueue } from '../metamanager/upstream-queue.ts';
import type { CloudLink } from './cloud-link.ts';

/** Where EventBus sends upload topics. */
export interface UploadSink {
  upload(topic: string, payload: Uint8Array): void;
}

export const DEFAULT_MAX_QUEUED_UPLOADS = 100_000;
/** Messages handed to the link per turn of the event loop. */
export const DEFAULT_UPLOAD_BATCH = 500;
/** After the link refused a message (EdgeHub's queue full), try again this much later. */
export const DEFAULT_UPLOAD_RETRY_MS = 5_000;

const KEY_PREFIX = 'upload/';
const utf8 = new TextDecoder('utf-8');

export interface UploadForwarderOptions {
  /** A queue of its own (its own file): every entry in it is an upload. */
  queue: UpstreamQueue;
  cloud: CloudLink;
  clock: Clock;
  logger: Logger;
  newId?: () => string;
  maxQueued?: number;
  batchSize?: number;
  retryMs?: number;
}

export class UploadForwarder implements UploadSink {
  private readonly opts: UploadForwarderOptions;
  private readonly log: Logger;
  private readonly builder: MessageBuilder;
  private readonly maxQueued: number;
  private readonly batchSize: number;
  private readonly retryMs: number;
  private timer: TimerHandle | undefined;
  private running = false;
  /** The rest of the listing being sent. */
  private backlog: QueuedUpload[] = [];

  constructor(options: UploadForwarderOptions) {
    this.opts = options;
    this.log = options.logger.child('uploads');
    this.builder = messageBuilder({
      clock: options.clock,
      ...(options.newId ? { newId: options.newId } : {}),
    });
    this.maxQueued = Math.max(1, options.maxQueued ?? DEFAULT_MAX_QUEUED_UPLOADS);
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_UPLOAD_BATCH);
    this.retryMs = options.retryMs ?? DEFAULT_UPLOAD_RETRY_MS;
  }

  start(): void {
    this.running = true;
    this.flush();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Uploads waiting for the cloud. */
  pending(): number {
    return this.opts.queue.size();
  }

  /** Queues the upload durably, then sends what it can. Never throws. */
  upload(topic: string, payload: Uint8Array): void {
    const m = this.builder.newMessage({
      source: 'bus',
      group: 'user',
      operation: 'upload',
      resource: topic,
      content: utf8.decode(payload),
    });
    try {
      this.opts.queue.put(KEY_PREFIX + m.header.msg_id, topic, 'upload', encodeMessage(m));
      this.trim();
    } catch (err) {
      this.log.error('upload not queued; dropped', { topic, error: errorMessage(err) });
      return;
    }
    this.flush();
  }

  /** The owner reports the link going up or down; up sends the backlog at once. */
  cloudConnectionChanged(up: boolean): void {
    this.backlog = [];
    if (up) this.flush();
  }

  /** Sends up to one batch now and schedules the next, while connected. */
  private flush(): void {
    if (!this.running || this.timer !== undefined || !this.opts.cloud.connected()) return;
    // One listing serves a whole backlog, a batch per turn of the event loop.
    if (this.backlog.length === 0) this.backlog = this.opts.queue.list();
    let sent = 0;
    while (this.backlog.length > 0 && sent < this.batchSize) {
      const u = this.backlog[0];
      if (u === undefined) break;
      let message;
      try {
        message = decodeMessage(u.content);
      } catch (err) {
        this.log.error('unreadable queued upload dropped', { key: u.key, error: errorMessage(err) });
        this.opts.queue.remove(u.key, u.seq);
        this.backlog.shift();
        continue;
      }
      try {
        this.opts.cloud.send(message);
      } catch (err) {
        this.log.warn('the cloud link refused an upload; will retry', { error: errorMessage(err) });
        this.backlog = [];
        this.schedule(this.retryMs);
        return;
      }
      this.opts.queue.remove(u.key, u.seq);
      this.backlog.shift();
      sent++;
    }
    if (sent > 0) this.log.debug('uploads sent', { count: sent });
    // More to send (the rest of this listing, or what was queued meanwhile): carry on shortly.
    if (this.backlog.length > 0 || (sent > 0 && this.opts.queue.size() > 0)) this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, ms);
  }

  /** Drops the oldest uploads, a tenth of the bound at a time, once over it. */
  private trim(): void {
    const q = this.opts.queue;
    if (q.size() <= this.maxQueued) return;
    const drop = q.list().slice(0, Math.max(1, Math.ceil(this.maxQueued / 10)));
    for (const u of drop) q.remove(u.key, u.seq);
    this.log.warn('upload backlog over its bound; oldest uploads dropped', {
      dropped: drop.length,
      bound: this.maxQueued,
    });
  }
}
