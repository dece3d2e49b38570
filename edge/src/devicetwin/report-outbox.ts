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
} from '@edgeproof/core';
import type { UpstreamQueue } from '../metamanager/upstream-queue.ts';
import type { CloudLink } from '../eventbus/cloud-link.ts';

/** KubeEdge's confirm-map resend period (`dtmanager/communicate.go`). */
export const DEFAULT_RESEND_INTERVAL_MS = 60_000;

export interface ReportOutboxOptions {
  /** A queue of its own (its own file): every row in it is a twin or state report. */
  queue: UpstreamQueue;
  cloud: CloudLink;
  clock: Clock;
  logger: Logger;
  newId?: () => string;
  resendIntervalMs?: number;
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
  /** When this seq was last handed to the link. */
  sentAt?: number;
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
    this.flush();
  }

  /** Queues the device's state (the latest replaces any earlier one) and sends it. */
  reportState(namespace: string, name: string, state: DeviceStateUpdate): void {
    this.put(stateKey(namespace, name), deviceResource(namespace, name, 'state/update'), {
      kind: 'state',
      state,
    });
    this.flush();
  }

  /** Drops everything queued for a device that left the node: the cloud no longer has it for us. */
  forgetDevice(namespace: string, name: string): void {
    const rows = this.load();
    for (const key of [twinsKey(namespace, name), stateKey(namespace, name)]) {
      const q = rows.get(key);
      if (q === undefined) continue;
      this.opts.queue.remove(key, q.seq);
      rows.delete(key);
    }
  }

  /** The cloud ACKed message `parentId`. Returns whether it was one of ours. */
  handleAck(parentId: string): boolean {
    const sent = this.inFlight.get(parentId);
    if (sent === undefined) return false;
    this.inFlight.delete(parentId);
    const rows = this.load();
    for (const { key, seq } of sent.rows) {
      if (rows.get(key)?.seq !== seq) continue; // reported again meanwhile: the row stays
      try {
        this.opts.queue.remove(key, seq);
        rows.delete(key);
      } catch (err) {
        this.log.warn('ACKed report not removed; it will be sent again', { key, error: errorMessage(err) });
      }
    }
    return true;
  }

  /** Link up: everything un-ACKed goes again now. Link down: replies to what was in flight may never come. */
  cloudConnectionChanged(up: boolean): void {
    for (const q of this.load().values()) delete q.sentAt;
    if (up) this.flush();
  }

  /** Resend tick: un-ACKed rows whose last send is `resendIntervalMs` old go again. */
  tick(): void {
    const cutoff = this.opts.clock.now() - 2 * this.resendIntervalMs;
    for (const [id, s] of this.inFlight) if (s.sentAt <= cutoff) this.inFlight.delete(id);
    this.flush();
  }

  /** Sends, while connected, every row not sent yet or due for a resend. */
  flush(): void {
    const cloud = this.opts.cloud;
    if (!cloud.connected()) return;
    const now = this.opts.clock.now();
    for (const [key, q] of this.load()) {
      if (q.sentAt !== undefined && now - q.sentAt < this.resendIntervalMs) continue;
      const message = this.build(q);
      try {
        cloud.send(message);
      } catch (err) {
        this.log.warn('the cloud link refused a report; will resend', { key, error: errorMessage(err) });
        return;
      }
      q.sentAt = now;
      this.inFlight.set(message.header.msg_id, { sentAt: now, rows: [{ key, seq: q.seq }] });
    }
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
    try {
      const seq = this.opts.queue.put(key, resource, 'update', JSON.stringify(row));
      // A new version goes at once; a newer version moves the key to the end (the queue's order).
      rows.delete(key);
      rows.set(key, { resource, seq, row });
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
