/**
 * ReportOutbox: DeviceTwin's reports to the cloud — reported (and observed desired) twin values as
 * `device/<ns>/<name>/twin/edge_updated` and device states as `device/<ns>/<name>/state/update`,
 * source `twin`, group `resource`, operation `update` (kubeedge-protocol.md §7.4;
 * `dtmanager/twin.go` dealSyncResult, `dtmanager/device.go` dealDeviceStateUpdate) — kept until
 * the cloud ACKs them.
 *
 * KubeEdge keeps un-ACKed reports in an in-memory confirm map, resends them every 60 s, and sends
 * nothing while disconnected, so a report made offline or before a restart is lost. Here
 * (ARCHITECTURE.md §5):
 * - every report is written to SQLite first (`UpstreamQueue`, synchronous = FULL): one row per
 *   device for its twins and one for its state, so a report costs one fsync however many twins it
 *   carries. Coalesced: per twin the latest value wins, with its own (newest) timestamp; the
 *   message carries the newest of them;
 * - while connected, what is new goes at once, one message per device;
 * - a row leaves SQLite only when the cloud ACKs the message that carried that very row version
 *   (§7.4: a reply with `parent_msg_id`, resource `twin`, operation `response`, content `"OK"`;
 *   `remove(key, seq)`); a twin reported meanwhile keeps the row, and the next send carries the
 *   already-ACKed values once more, which the cloud applies idempotently;
 * - un-ACKed rows are sent again `resendIntervalMs` after their last send (KubeEdge: 60 s), and at
 *   once after a reconnect.
 * The queue's rows are mirrored in memory (loaded on first use) so a report merges without a read.
 *
 * For a high report rate (edgecore turns these on, `DeviceServices`):
 * - `batch(fn)`: the reports made in `fn` are written in one transaction (one fsync), each device's
 *   row once however often it was reported in `fn`, and sent after the commit;
 * - `coalesceWhileInFlight`: while a device's message is un-ACKed, newer values wait in its row and
 *   go, coalesced, when that message is ACKed (or with the resend): one message per device in
 *   flight, so the rate of messages to the cloud follows the rate the cloud takes them, not the
 *   rate mappers report;
 * - `window`: at most that many messages un-ACKed at once (a window, sized from the ACK round trips
 *   as TCP Vegas sizes its own: `report-window.ts`); the devices whose turn it is not yet wait,
 *   coalescing, in the order they first waited, and go one per ACK.
 *   Without it a node with hundreds of busy devices keeps hundreds of messages queued in the cloud,
 *   each carrying a value as old as that queue is long; with it the queue stays at the edge, where
 *   the value sent is the newest when the cloud can take it (twin bench: report → status latency at
 *   full rate, README "Performance");
 * - `removeDelayMs`: ACKed rows leave SQLite up to that much later, many in one transaction. They
 *   leave memory at once; a crash before the removal only sends them once more, which the cloud
 *   applies idempotently.
 */
import { randomUUID } from 'node:crypto';
import {
  deviceResource,
  errorMessage,
  messageBuilder,
  type Clock,
  type DeviceStateUpdate,
  type DeviceTwinUpdate,
  type Logger,
  type Message,
  type MessageBuilder,
  type MsgTwin,
  type TimerHandle,
} from '@edgeproof/core';
import type { UpstreamQueue } from '../metamanager/upstream-queue.ts';
import type { CloudLink } from '../eventbus/cloud-link.ts';
import type { ReportWindow } from './report-window.ts';

/** KubeEdge's confirm-map resend period (`dtmanager/communicate.go`). */
export const DEFAULT_RESEND_INTERVAL_MS = 60_000;
/** How long an un-ACKed report counts against the window (`window`). */
export const UNACKED_HOLDS_WINDOW_MS = 10_000;

export interface ReportOutboxOptions {
  /** A queue of its own (its own file): every row in it is a twin or state report. */
  queue: UpstreamQueue;
  cloud: CloudLink;
  clock: Clock;
  logger: Logger;
  newId?: () => string;
  resendIntervalMs?: number;
  /** One message per device in flight; newer values wait for its ACK (see the module comment). Default false. */
  coalesceWhileInFlight?: boolean;
  /** Remove ACKed rows from SQLite in batches, at most this much later; default at once. */
  removeDelayMs?: number;
  /** How many messages may be un-ACKed at once; further reports wait their turn (see the module comment). Default no limit. */
  window?: ReportWindow;
}

/** A device's queued twin values. */
interface TwinsRow {
  kind: 'twins';
  twins: Record<string, { twin: MsgTwin; timestamp: number }>;
}
/** A device's latest state. */
interface StateRow {
  kind: 'state';
  state: DeviceStateUpdate;
}
type Row = TwinsRow | StateRow;

interface Queued {
  resource: string;
  seq: number;
  row: Row;
  /** When this row (this seq or an earlier one) was last handed to the link. */
  sentAt?: number;
  /** The msg_id of that send. */
  sentAs?: string;
}

export class ReportOutbox {
  private readonly opts: ReportOutboxOptions;
  private readonly log: Logger;
  private readonly builder: MessageBuilder;
  private readonly newId: () => string;
  readonly resendIntervalMs: number;
  /** The queue's rows by key, oldest first; undefined until loaded. */
  private rows: Map<string, Queued> | undefined;
  /** msg_id → the row versions it carried, and when. */
  private readonly inFlight = new Map<
    string,
    { sentAt: number; rows: Array<{ key: string; seq: number }> }
  >();
  /** msg_ids sent on this connection and not ACKed: what counts against `window`. */
  private readonly unacked = new Set<string>();
  /** Keys due to go that wait for room in the window, in the order they started waiting. */
  private readonly waiting = new Set<string>();
  /** Inside `batch`: keys whose row changed in memory and is written at the end of the batch. */
  private staged: Set<string> | undefined;
  /** ACKed rows still to delete from SQLite (`removeDelayMs`). */
  private readonly removals: Array<{ key: string; seq: number }> = [];
  private removalTimer: TimerHandle | undefined;

  constructor(options: ReportOutboxOptions) {
    this.opts = options;
    this.log = options.logger.child('reports');
    this.newId = options.newId ?? randomUUID;
    this.builder = messageBuilder({ clock: options.clock, newId: this.newId });
    this.resendIntervalMs = options.resendIntervalMs ?? DEFAULT_RESEND_INTERVAL_MS;
  }

  /** Rows waiting for an ACK: one per device with twin reports, one per device with a state. */
  pending(): number {
    return this.load().size;
  }

  /** Queues `twins` of a device (merged into what is queued for it) and sends what is new. Never throws. */
  reportTwins(
    namespace: string,
    name: string,
    twins: Readonly<Record<string, MsgTwin>>,
    timestamp: number,
  ): void {
    const key = twinsKey(namespace, name);
    const before = this.load().get(key)?.row;
    const row: TwinsRow = { kind: 'twins', twins: before?.kind === 'twins' ? { ...before.twins } : {} };
    for (const [twinName, twin] of Object.entries(twins)) row.twins[twinName] = { twin, timestamp };
    this.put(key, deviceResource(namespace, name, 'twin/edge_updated'), row);
    if (this.staged === undefined) this.send([key]);
  }

  /** Queues the device's state (the latest replaces any earlier one) and sends it. */
  reportState(namespace: string, name: string, state: DeviceStateUpdate): void {
    const key = stateKey(namespace, name);
    this.put(key, deviceResource(namespace, name, 'state/update'), { kind: 'state', state });
    if (this.staged === undefined) this.send([key]);
  }

  /**
   * Runs `fn`, whose reports are written in one transaction when it returns (each device's row once)
   * and then sent. Durable when this returns; if the commit fails the reports are logged, kept in
   * memory and sent, but not durable. Never throws for storage; `fn`'s own exceptions propagate.
   */
  batch(fn: () => void): void {
    if (this.staged !== undefined) return fn(); // nested: the outer batch writes it
    const staged = new Set<string>();
    this.staged = staged;
    const rows = this.load();
    try {
      fn();
    } finally {
      this.staged = undefined;
      try {
        this.opts.queue.transaction(() => {
          for (const key of staged) {
            const q = rows.get(key);
            if (q !== undefined)
              q.seq = this.opts.queue.put(key, q.resource, 'update', JSON.stringify(q.row));
          }
          this.removeNow();
        });
      } catch (err) {
        // No ACK may remove these rows from memory now (seq -1 matches none): they stay and are
        // resent until a later report of the device is stored.
        for (const key of staged) {
          const q = rows.get(key);
          if (q !== undefined) q.seq = -1;
        }
        this.log.error('reports not stored; they are sent but would not survive a restart', {
          reports: staged.size,
          error: errorMessage(err),
        });
      }
    }
    this.send(staged);
  }

  /** Writes what is deferred (removal of ACKed rows) now; for shutdown. */
  settle(): void {
    if (this.removals.length === 0) return;
    try {
      this.opts.queue.transaction(() => this.removeNow());
    } catch (err) {
      this.log.warn('ACKed reports not removed; they will be sent again', { error: errorMessage(err) });
    }
  }

  /** Drops everything queued for a device that left the node: the cloud no longer has it for us. */
  forgetDevice(namespace: string, name: string): void {
    const rows = this.load();
    for (const key of [twinsKey(namespace, name), stateKey(namespace, name)]) {
      const q = rows.get(key);
      if (q === undefined) continue;
      this.opts.queue.remove(key, q.seq);
      rows.delete(key);
      this.staged?.delete(key);
      this.waiting.delete(key);
    }
  }

  /**
   * The cloud refused message `parentId` (an `error` reply: a value the DeviceStatus schema does not
   * allow, a device bound to another node): it will never take what that message carried, so its
   * rows go as on an ACK, with a warning naming them and the cloud's reason, instead of being sent
   * again every `resendIntervalMs` forever. KubeEdge's twin, too, ends a report's resends on any
   * reply to it (`dtmanager/communicate.go` dealConfirm). Returns whether it was one of ours.
   */
  handleRefusal(parentId: string, reason: string): boolean {
    const sent = this.inFlight.get(parentId);
    if (sent === undefined) return false;
    this.log.warn('the cloud refused a report; it is dropped, not sent again', {
      reports: sent.rows.map((r) => r.key).join(','),
      reason,
    });
    return this.handleAck(parentId);
  }

  /** The cloud ACKed message `parentId`. Returns whether it was one of ours. */
  handleAck(parentId: string): boolean {
    const sent = this.inFlight.get(parentId);
    if (sent === undefined) return false;
    this.inFlight.delete(parentId);
    if (this.unacked.has(parentId)) {
      this.opts.window?.acked(sent.sentAt, this.opts.clock.now(), this.unacked.size);
      this.unacked.delete(parentId);
    }
    const rows = this.load();
    const again: string[] = [];
    for (const { key, seq } of sent.rows) {
      const q = rows.get(key);
      if (q === undefined) continue;
      if (q.seq !== seq) {
        // Reported again meanwhile: the row stays; when it waited for this very send, it goes now.
        if (this.opts.coalesceWhileInFlight && q.sentAs === parentId) {
          delete q.sentAt;
          delete q.sentAs;
          again.push(key);
        }
        continue;
      }
      if (this.opts.removeDelayMs !== undefined) {
        rows.delete(key);
        this.removals.push({ key, seq });
        this.removalTimer ??= this.opts.clock.setTimeout(() => this.settle(), this.opts.removeDelayMs);
        continue;
      }
      try {
        this.opts.queue.remove(key, seq);
        rows.delete(key);
      } catch (err) {
        this.log.warn('ACKed report not removed; it will be sent again', { key, error: errorMessage(err) });
      }
    }
    // Behind the devices already waiting for the window, so that every device gets its turn.
    for (const key of again) this.waiting.add(key);
    this.sendWaiting();
    return true;
  }

  /** Link up: everything un-ACKed goes again now. Link down: replies to what was in flight may never come. */
  cloudConnectionChanged(up: boolean): void {
    for (const q of this.load().values()) delete q.sentAt;
    this.unacked.clear();
    this.waiting.clear();
    this.opts.window?.reset();
    if (up) this.flush();
  }

  /** Resend tick: un-ACKed rows whose last send is `resendIntervalMs` old go again. */
  tick(): void {
    const cutoff = this.opts.clock.now() - 2 * this.resendIntervalMs;
    for (const [id, s] of this.inFlight) {
      if (s.sentAt > cutoff) continue;
      this.inFlight.delete(id);
      this.unacked.delete(id);
    }
    this.flush();
  }

  /** Sends, while connected, every row not sent yet or due for a resend. */
  flush(): void {
    this.send(this.load().keys());
  }

  /**
   * Sends, while connected, those of `keys` not sent yet or due for a resend: they join the end of
   * the waiting line, which goes out in order while the window has room.
   */
  private send(keys: Iterable<string>): void {
    if (!this.opts.cloud.connected()) return;
    const now = this.opts.clock.now();
    const rows = this.load();
    for (const key of keys) {
      const q = rows.get(key);
      if (this.due(q, now)) this.waiting.add(key);
      else this.waiting.delete(key);
    }
    this.sendWaiting();
  }

  /** Sends waiting keys, oldest wait first, while the window has room. */
  private sendWaiting(): void {
    const cloud = this.opts.cloud;
    if (!cloud.connected()) return;
    const now = this.opts.clock.now();
    const rows = this.load();
    for (const key of this.waiting) {
      if (this.windowFull()) return;
      this.waiting.delete(key);
      const q = rows.get(key);
      if (!this.due(q, now)) continue;
      const message = this.build(q);
      try {
        cloud.send(message);
      } catch (err) {
        this.waiting.add(key);
        this.log.warn('the cloud link refused a report; will resend', { key, error: errorMessage(err) });
        return;
      }
      q.sentAt = now;
      q.sentAs = message.header.msg_id;
      this.inFlight.set(message.header.msg_id, { sentAt: now, rows: [{ key, seq: q.seq }] });
      this.unacked.add(message.header.msg_id);
    }
  }

  /** Whether a queued row is to go now: never sent on this link, or its resend is due. */
  private due(q: Queued | undefined, now: number): q is Queued {
    return q !== undefined && (q.sentAt === undefined || now - q.sentAt >= this.resendIntervalMs);
  }

  private windowFull(): boolean {
    if (this.opts.window === undefined) return false;
    // A report un-ACKed this long no longer holds a place: a cloud that does not ACK (or lost the
    // message) must not stop every other device's reports until the resend.
    const expired = this.opts.clock.now() - UNACKED_HOLDS_WINDOW_MS;
    for (const id of this.unacked) {
      if ((this.inFlight.get(id)?.sentAt ?? -Infinity) > expired) break;
      this.unacked.delete(id);
    }
    return this.unacked.size >= this.opts.window.size();
  }

  /** Deletes the deferred ACKed rows (inside a transaction of the caller's, or alone). */
  private removeNow(): void {
    this.removalTimer?.cancel();
    this.removalTimer = undefined;
    for (const { key, seq } of this.removals.splice(0)) this.opts.queue.remove(key, seq);
  }

  private build(q: Queued): Message {
    const route = { source: 'twin', group: 'resource', operation: 'update', resource: q.resource } as const;
    if (q.row.kind === 'state') return this.builder.newMessage({ ...route, content: q.row.state });
    // dttype.BuildBaseMessage: a fresh event id; the timestamp is the newest of the values carried.
    const content: DeviceTwinUpdate = { event_id: this.newId(), timestamp: 0, twin: {} };
    for (const [name, { twin, timestamp }] of Object.entries(q.row.twins)) {
      content.twin[name] = twin;
      content.timestamp = Math.max(content.timestamp, timestamp);
    }
    return this.builder.newMessage({ ...route, content });
  }

  private put(key: string, resource: string, row: Row): void {
    const rows = this.load();
    const before = rows.get(key);
    // A new version goes at once, unless (coalescing) a send of this row is still un-ACKed; a newer
    // version moves the key to the end (the queue's order).
    const held =
      this.opts.coalesceWhileInFlight && before?.sentAt !== undefined
        ? { sentAt: before.sentAt, ...(before.sentAs !== undefined ? { sentAs: before.sentAs } : {}) }
        : {};
    if (this.staged !== undefined) {
      // Written at the end of the batch, with its seq then.
      rows.delete(key);
      rows.set(key, { resource, seq: before?.seq ?? 0, row, ...held });
      this.staged.add(key);
      return;
    }
    try {
      const seq = this.opts.queue.put(key, resource, 'update', JSON.stringify(row));
      rows.delete(key);
      rows.set(key, { resource, seq, row, ...held });
    } catch (err) {
      this.log.error('report not queued', { key, error: errorMessage(err) });
    }
  }

  private load(): Map<string, Queued> {
    if (this.rows !== undefined) return this.rows;
    const rows = new Map<string, Queued>();
    for (const u of this.opts.queue.list()) {
      const row = parseRow(u.content);
      if (row === undefined) {
        this.log.error('unreadable queued report dropped', { key: u.key });
        this.opts.queue.remove(u.key, u.seq);
        continue;
      }
      rows.set(u.key, { resource: u.resource, seq: u.seq, row });
    }
    this.rows = rows;
    return rows;
  }
}

function twinsKey(namespace: string, name: string): string {
  return `twin/${namespace}/${name}`;
}

function stateKey(namespace: string, name: string): string {
  return `state/${namespace}/${name}`;
}

function parseRow(text: string): Row | undefined {
  try {
    const v = JSON.parse(text) as Partial<TwinsRow> & Partial<StateRow>;
    if (v.kind === 'twins' && typeof v.twins === 'object' && v.twins !== null)
      return { kind: 'twins', twins: v.twins };
    if (v.kind === 'state' && typeof v.state === 'object' && v.state !== null)
      return { kind: 'state', state: v.state };
    return undefined;
  } catch {
    return undefined;
  }
}
