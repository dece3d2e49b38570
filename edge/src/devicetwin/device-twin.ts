/**
 * DeviceTwin: the node's devices and their twins (kubeedge-protocol.md §7; KubeEdge
 * `edge/pkg/devicetwin/{process.go,dtmanager/*.go}`).
 *
 * MQTT side (from EventBus, `$hw/events/...`, §7.2):
 * - `device/<ns>/<name>/twin/update` → `…/twin/update/result` (`{event_id,timestamp,twin}`, or
 *   `{event_id,timestamp,code,reason}`), `…/twin/update/document` for changed twins, and
 *   `…/twin/update/delta` whenever a desired value still differs from the reported one — also after
 *   a report that did not converge, so a restarted mapper is told again;
 * - `…/twin/get` → `…/twin/get/result`, then the delta, if any;
 * - `…/state/update` → `…/state/update/result`, and the state to the cloud;
 * - `node/<node>/membership/get` → `…/membership/get/result`; `…/membership/updated` on a change.
 * Bad JSON, a missing `twin`, bad names, values or types get 400, an unknown device 404, a storage
 * failure 500 (`dtcommon` codes), on the request's result topic. Nothing a mapper sends throws.
 *
 * Cloud side (group `twin`, routed here by edgecore, §7.4):
 * - `membership` (update): added devices are stored with their desired twins (cloud version
 *   rules), removed ones deleted; `membership/detail` (response to our request): reconcile with
 *   the full list; `device/<ns>/<name>/twin/cloud_updated`: desired values changed. After each,
 *   the delta goes to MQTT so the mapper writes the value.
 * - Reports (reported and observed desired values, states) go up through `ReportOutbox` (durable
 *   until ACKed, resent). After every connect, `membership/detail` is requested (source `twin`,
 *   group `resource`, operation `get`), and again every `resendIntervalMs` until answered.
 *
 * Everything runs synchronously on one event loop turn per message (better-sqlite3), so no locks.
 * Instance-scoped; injected clock and logger; the constructor does no I/O.
 *
 * Group commit (`batch`, edgecore turns it on): mapper `…/twin/update`s are validated and merged as
 * they arrive, but stored together: the updates arriving within `batch.delayMs` of the first are
 * written in one FULL-synchronous transaction (their reports to the cloud in one more), and only
 * then are their results, documents and deltas published and the reports sent. So a result still
 * means "stored", as without batching, and a power cut loses only updates not yet answered. Anything
 * else (a get, a state, a cloud message, a query) first commits what is pending, so it sees every
 * update before it, and replies keep the order of the requests.
 */
import { randomUUID } from 'node:crypto';
import {
  DEVICE_STATES,
  MESSAGE_OK,
  contentAsString,
  deviceId,
  deviceTopic,
  errorMessage,
  membershipTopic,
  messageBuilder,
  parseEdgeResource,
  parseMembershipUpdate,
  parseStateRequest,
  parseTwinUpdate,
  type BaseMessage,
  type Clock,
  type DeviceStateUpdate,
  type Logger,
  type MembershipDevice,
  type Message,
  type MessageBuilder,
  type MsgAttr,
  type MsgTwin,
  type ParsedTwinTopic,
  type TimerHandle,
} from '@edgeproof/core';
import type { TwinPublisher, TwinTopicHandler } from '../eventbus/eventbus.ts';
import type { CloudLink } from '../eventbus/cloud-link.ts';
import type { DeviceRecord, DeviceStore, StoredAttr } from './device-store.ts';
import {
  MEMBERSHIP_DETAIL_RESOURCE,
  detailRequestContent,
  parseMembershipDetail,
} from './membership-detail.ts';
import { ReportOutbox } from './report-outbox.ts';
import { TWIN_RESULT_CODES, type TwinResultCode } from './result-codes.ts';
import { isDeleted, toMsgTwin, type StoredTwin } from './stored-twin.ts';
import { mergeTwins, type MergeOutcome } from './twin-merge.ts';
import {
  buildDelta,
  buildDocument,
  buildErrorResult,
  buildGetResult,
  buildMembershipGetResult,
  buildMembershipUpdated,
  buildUpdateResult,
  formatLastOnline,
  membershipDevice,
} from './twin-messages.ts';

/** A device as the query API shows it. */
export interface DeviceSnapshot {
  /** `<namespace>/<name>`. */
  id: string;
  namespace: string;
  name: string;
  description: string;
  state: string;
  lastOnline: string;
  attributes: Record<string, MsgAttr>;
  /** Live twins with their versions (deleted ones left out). */
  twins: Record<string, MsgTwin>;
}

export interface DeviceTwinOptions {
  nodeName: string;
  store: DeviceStore;
  outbox: ReportOutbox;
  mqtt: TwinPublisher;
  cloud: CloudLink;
  clock: Clock;
  logger: Logger;
  newId?: () => string;
  /**
   * Group commit of mapper twin updates (see the module comment): a batch is committed `delayMs`
   * after its first update, or at once when it holds `maxUpdates` (default 1000). Default: off, each
   * update is committed on its own before its result.
   */
  batch?: { delayMs: number; maxUpdates?: number };
}

/** Mapper twin updates merged but not yet stored (group commit). */
interface PendingBatch {
  /** Twin rows to write, by device id, then twin name (the latest of each). */
  writes: Map<string, Map<string, StoredTwin>>;
  /** Each touched device's twins as they are once the batch is stored. */
  twins: Map<string, Record<string, StoredTwin>>;
  /** In arrival order: what to do once stored, or if storing failed. */
  after: Array<{ stored: () => void; failed: (reason: string) => void }>;
  updates: number;
  timer: TimerHandle | undefined;
}

/** What DeviceTwin has done since it was made (for benchmarks and metrics). */
export interface DeviceTwinStats {
  /** `…/twin/update` requests applied (stored, then answered with a result). */
  twinUpdates: number;
  /** `…/twin/update` requests refused (4xx/5xx result). */
  twinUpdatesRefused: number;
}

/** Default bound of a group-commit batch. */
const DEFAULT_MAX_BATCH_UPDATES = 1000;

/** States a mapper may report: KubeEdge's three, and edgeproof's `unhealthy` (core twin-types.ts). */
const STATES: ReadonlySet<string> = new Set([...DEVICE_STATES, 'unhealthy']);

export class DeviceTwin implements TwinTopicHandler {
  readonly nodeName: string;
  private readonly opts: DeviceTwinOptions;
  private readonly log: Logger;
  private readonly builder: MessageBuilder;
  private readonly newId: () => string;
  private timer: TimerHandle | undefined;
  private running = false;
  /** msg_ids of `membership/detail` requests not answered yet. */
  private readonly detailRequests = new Set<string>();
  private detailAnswered = false;
  private readonly counters: DeviceTwinStats = { twinUpdates: 0, twinUpdatesRefused: 0 };
  private pending: PendingBatch | undefined;

  constructor(options: DeviceTwinOptions) {
    this.opts = options;
    this.nodeName = options.nodeName;
    this.log = options.logger.child('devicetwin');
    this.newId = options.newId ?? randomUUID;
    this.builder = messageBuilder({ clock: options.clock, newId: this.newId });
  }

  /** Starts the resend timer; when the cloud is already up, syncs at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = this.opts.clock.setInterval(() => this.tick(), this.opts.outbox.resendIntervalMs);
    if (this.opts.cloud.connected()) this.cloudConnectionChanged(true);
  }

  /** Stores and answers what is pending, then stops the timers. */
  stop(): void {
    this.commit();
    this.opts.outbox.settle();
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /**
   * Stores the pending batch of twin updates (one transaction), then publishes their results and
   * sends their reports. A no-op when nothing is pending; never throws.
   */
  commit(): void {
    const b = this.pending;
    if (b === undefined) return;
    this.pending = undefined;
    b.timer?.cancel();
    try {
      this.opts.store.writeTwinsMany([...b.writes].map(([id, twins]) => [id, [...twins.values()]] as const));
    } catch (err) {
      for (const a of b.after) this.guard(() => a.failed(errorMessage(err)));
      return;
    }
    this.opts.outbox.batch(() => {
      for (const a of b.after) this.guard(a.stored);
    });
  }

  /** Runs one update's follow-up; a failure is logged and does not stop the others. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error('answering a stored twin update failed', { error: errorMessage(err) });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Query API

  devices(): DeviceSnapshot[] {
    this.commit();
    return this.opts.store.devices().map(snapshot);
  }

  device(namespace: string, name: string): DeviceSnapshot | undefined {
    this.commit();
    const d = this.opts.store.device(deviceId(namespace, name));
    return d === undefined ? undefined : snapshot(d);
  }

  /** Counters since construction (a copy). */
  stats(): DeviceTwinStats {
    return { ...this.counters };
  }

  /** Reports not yet ACKed by the cloud. */
  pendingReports(): number {
    return this.opts.outbox.pending();
  }

  // -------------------------------------------------------------------------------------------
  // Cloud link

  /** The owner reports the cloud link going up or down. */
  cloudConnectionChanged(up: boolean): void {
    this.detailRequests.clear();
    this.detailAnswered = false;
    this.opts.outbox.cloudConnectionChanged(up);
    if (up && this.running) this.requestDetail();
  }

  /**
   * A downstream message of group `twin`. Returns whether it was DeviceTwin's (the caller then
   * stops routing it). Never throws: bad content is logged and dropped.
   */
  handleCloudMessage(m: Message): boolean {
    this.commit();
    const resource = m.route.resource ?? '';
    const op = m.route.operation;
    const parent = m.header.parent_msg_id;
    try {
      if (parent !== undefined && parent !== '') {
        if (this.detailRequests.has(parent)) {
          if (op === 'response' && !(typeof m.content === 'string' && m.content === MESSAGE_OK))
            this.onDetail(m);
          else if (op === 'error')
            this.log.warn('the cloud refused membership/detail', { error: contentAsString(m) });
          return true;
        }
        const ours =
          op === 'error'
            ? this.opts.outbox.handleRefusal(parent, contentAsString(m))
            : this.opts.outbox.handleAck(parent);
        if (ours) return true;
        // An ACK of a report sent before a restart or already resent: nothing left to do.
        return resource === 'twin' || resource === MEMBERSHIP_DETAIL_RESOURCE;
      }
      if (resource === 'membership') {
        this.onMembership(m);
        return true;
      }
      if (resource.startsWith('device/')) {
        const ref = parseEdgeResource(resource, op);
        if (ref.kind === 'device' && ref.path === 'twin/cloud_updated') {
          this.onCloudUpdated(ref.namespace, ref.name, m);
          return true;
        }
      }
    } catch (err) {
      this.log.warn('cloud twin message dropped', { resource, operation: op, error: errorMessage(err) });
      return true;
    }
    return false;
  }

  /** The cloud ACKed message `parentId` (§7.4: resource `twin`, operation `response`, `"OK"`). */
  handleCloudAck(parentId: string): boolean {
    return this.opts.outbox.handleAck(parentId);
  }

  private tick(): void {
    if (!this.running) return;
    this.commit();
    this.opts.outbox.tick();
    // KubeEdge keeps the detail request in its confirm map and resends it every 60 s (§12 item 11).
    if (!this.detailAnswered && this.opts.cloud.connected()) this.requestDetail();
  }

  private requestDetail(): void {
    const now = this.opts.clock.now();
    const m = this.builder.newMessage({
      source: 'twin',
      group: 'resource',
      operation: 'get',
      resource: MEMBERSHIP_DETAIL_RESOURCE,
      content: detailRequestContent(this.newId(), this.nodeName, now),
    });
    try {
      this.opts.cloud.send(m);
      this.detailRequests.add(m.header.msg_id);
    } catch (err) {
      this.log.warn('membership/detail request not sent; will retry', { error: errorMessage(err) });
    }
  }

  private onMembership(m: Message): void {
    const update = parseMembershipUpdate(m.content, 'membership');
    for (const d of update.added_devices) this.addOrUpdateDevice(d, update.event_id);
    for (const d of update.removed_devices) this.removeDevice(d.id);
  }

  private onDetail(m: Message): void {
    const detail = parseMembershipDetail(m.content, MEMBERSHIP_DETAIL_RESOURCE);
    this.detailRequests.clear();
    this.detailAnswered = true;
    const keep = new Set<string>();
    for (const d of detail.devices) {
      keep.add(d.id);
      this.addOrUpdateDevice(d, detail.event_id);
    }
    for (const d of this.opts.store.devices()) if (!keep.has(d.id)) this.removeDevice(d.id);
    this.log.info('device list reconciled with the cloud', { devices: keep.size });
  }

  private onCloudUpdated(namespace: string, name: string, m: Message): void {
    const where = `device/${namespace}/${name}/twin/cloud_updated`;
    const update = parseTwinUpdate(m.content, where);
    const device = this.opts.store.device(deviceId(namespace, name));
    if (device === undefined) {
      this.log.warn('desired values for a device this node does not have dropped', {
        device: deviceId(namespace, name),
      });
      return;
    }
    this.applyCloudTwins(namespace, name, device, update.twin, update.event_id);
  }

  /** membership.go Added: a new device is stored and announced; an existing one gets its twins synced. */
  private addOrUpdateDevice(d: MembershipDevice, eventId: string): void {
    const id = splitId(d.id);
    if (id === undefined) {
      this.log.warn('membership device without a <namespace>/<name> id dropped (kubeedge-protocol.md §7.2)', {
        id: d.id,
      });
      return;
    }
    const isNew = this.opts.store.putDevice({
      id: d.id,
      name: d.name,
      description: d.description ?? '',
      state: d.state ?? '',
      ...(d.last_online !== undefined ? { lastOnline: d.last_online } : {}),
    });
    if (d.attributes !== undefined) this.syncAttributes(d.id, d.attributes);
    const device = this.opts.store.device(d.id);
    if (device === undefined) return;
    if (d.twin !== undefined) this.applyCloudTwins(id.namespace, id.name, device, d.twin, eventId);
    if (isNew) {
      this.log.info('device added', { device: d.id });
      this.publish(
        membershipTopic(this.nodeName, 'updated'),
        buildMembershipUpdated(this.base(''), { added: d }),
      );
    }
  }

  private removeDevice(id: string): void {
    const device = this.opts.store.device(id);
    if (device === undefined) return;
    this.opts.store.removeDevice(id);
    const ref = splitId(id);
    if (ref) this.opts.outbox.forgetDevice(ref.namespace, ref.name);
    this.log.info('device removed', { device: id });
    this.publish(
      membershipTopic(this.nodeName, 'updated'),
      buildMembershipUpdated(this.base(''), { removed: membershipDevice(device) }),
    );
  }

  /** DealMsgAttr with the detail rule: the cloud's list is the whole list. */
  private syncAttributes(id: string, attrs: Record<string, MsgAttr>): void {
    const device = this.opts.store.device(id);
    const upserts: StoredAttr[] = Object.entries(attrs).map(([name, a]) => ({
      name,
      description: device?.attributes[name]?.description ?? '',
      value: a.value,
      optional: a.optional ?? true,
      attrType: a.metadata?.type ?? 'string',
    }));
    const deletes = Object.keys(device?.attributes ?? {}).filter((n) => !(n in attrs));
    this.opts.store.writeAttrs(id, upserts, deletes);
  }

  /** Desired values from the cloud: version rules, store, document and delta to MQTT, refusals to the cloud. */
  private applyCloudTwins(
    namespace: string,
    name: string,
    device: DeviceRecord,
    twins: Record<string, MsgTwin | null>,
    eventId: string,
  ): void {
    const now = this.opts.clock.now();
    const outcome = mergeTwins(device.twins, twins, 'cloud', now);
    if (!outcome.ok) return; // a cloud merge never rejects; kept for the type
    for (const [twin, reason] of Object.entries(outcome.refused))
      this.log.info('desired value from the cloud not applied', { device: device.id, twin, reason });
    this.opts.store.writeTwins(device.id, Object.values(outcome.writes));
    this.afterMerge(namespace, name, device.twins, outcome, this.base(eventId, now));
  }

  /** Document, delta and cloud report after a merge that was written. */
  private afterMerge(
    namespace: string,
    name: string,
    before: Record<string, StoredTwin>,
    outcome: MergeOutcome,
    base: BaseMessage,
  ): void {
    if (Object.keys(outcome.document).length > 0)
      this.publish(
        deviceTopic(namespace, name, 'twin/update/document'),
        buildDocument(base, outcome.document),
      );
    this.publishDelta(namespace, name, { ...before, ...outcome.writes });
    if (Object.keys(outcome.report).length > 0)
      this.opts.outbox.reportTwins(namespace, name, outcome.report, base.timestamp);
  }

  private publishDelta(namespace: string, name: string, twins: Record<string, StoredTwin>): void {
    const delta = buildDelta(this.base(''), twins);
    if (delta !== undefined) this.publish(deviceTopic(namespace, name, 'twin/update/delta'), delta);
  }

  // -------------------------------------------------------------------------------------------
  // MQTT

  /** From EventBus: a device or node topic. Never throws. */
  handleTwinTopic(topic: ParsedTwinTopic, payload: Uint8Array): void {
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    try {
      if (topic.kind === 'membershipGet') {
        this.commit();
        this.onMembershipGet(topic.nodeName, text);
        return;
      }
      const { namespace, name, action } = topic;
      if (action !== 'twin/update') this.commit();
      switch (action) {
        case 'twin/update':
          this.onTwinUpdate(namespace, name, text);
          return;
        case 'twin/get':
          this.onTwinGet(namespace, name, text);
          return;
        case 'state/update':
          this.onStateUpdate(namespace, name, text);
          return;
        case 'twin/update/result':
        case 'twin/update/delta':
        case 'twin/update/document':
        case 'twin/get/result':
        case 'state/update/result':
          // Our own outputs (only seen with a subscription wider than §7.1's).
          return;
      }
    } catch (err) {
      this.log.error('device topic not handled', { topic: JSON.stringify(topic), error: errorMessage(err) });
    }
  }

  private onTwinUpdate(namespace: string, name: string, text: string): void {
    const resultTopic = deviceTopic(namespace, name, 'twin/update/result');
    const where = deviceTopic(namespace, name, 'twin/update');
    const body = parseBody(text, where);
    if (!body.ok) return this.fail(resultTopic, '', TWIN_RESULT_CODES.badRequest, body.reason);
    const eventId = body.eventId;
    const id = deviceId(namespace, name);
    const device = this.opts.store.device(id);
    if (device === undefined)
      return this.fail(
        resultTopic,
        eventId,
        TWIN_RESULT_CODES.notFound,
        'Update rejected due to the device is not existed',
      );
    if (body.value['twin'] === undefined || body.value['twin'] === null)
      return this.fail(
        resultTopic,
        eventId,
        TWIN_RESULT_CODES.badRequest,
        'Update twin error, the update request body not have key:twin',
      );
    let update;
    try {
      update = parseTwinUpdate(body.value, where);
    } catch (err) {
      return this.fail(resultTopic, eventId, TWIN_RESULT_CODES.badRequest, errorMessage(err));
    }
    const now = this.opts.clock.now();
    // With a batch pending, the device's twins as they are once it is stored.
    const before = this.pending?.twins.get(id) ?? device.twins;
    const outcome = mergeTwins(before, update.twin, 'edge', now);
    if (!outcome.ok) return this.fail(resultTopic, eventId, outcome.code, outcome.reason);
    const base = this.base(eventId, now);
    const answer = (): void => {
      this.counters.twinUpdates++;
      this.publish(resultTopic, buildUpdateResult(base, outcome.result));
      this.afterMerge(namespace, name, before, outcome, base);
    };
    const batch = this.opts.batch;
    if (batch === undefined) {
      try {
        this.opts.store.writeTwins(id, Object.values(outcome.writes));
      } catch (err) {
        return this.fail(resultTopic, eventId, TWIN_RESULT_CODES.internalError, errorMessage(err));
      }
      answer();
      return;
    }
    const b = this.openBatch(batch.delayMs);
    let rows = b.writes.get(id);
    if (rows === undefined) b.writes.set(id, (rows = new Map<string, StoredTwin>()));
    for (const t of Object.values(outcome.writes)) rows.set(t.name, t);
    b.twins.set(id, { ...before, ...outcome.writes });
    b.after.push({
      stored: answer,
      failed: (reason) => this.fail(resultTopic, eventId, TWIN_RESULT_CODES.internalError, reason),
    });
    if (++b.updates >= (batch.maxUpdates ?? DEFAULT_MAX_BATCH_UPDATES)) this.commit();
  }

  private openBatch(delayMs: number): PendingBatch {
    if (this.pending !== undefined) return this.pending;
    const b: PendingBatch = { writes: new Map(), twins: new Map(), after: [], updates: 0, timer: undefined };
    b.timer = this.opts.clock.setTimeout(() => this.commit(), delayMs);
    this.pending = b;
    return b;
  }

  private onTwinGet(namespace: string, name: string, text: string): void {
    const resultTopic = deviceTopic(namespace, name, 'twin/get/result');
    const body = parseBody(text, deviceTopic(namespace, name, 'twin/get'));
    if (!body.ok) return this.fail(resultTopic, '', TWIN_RESULT_CODES.badRequest, body.reason);
    const device = this.opts.store.device(deviceId(namespace, name));
    if (device === undefined)
      return this.fail(
        resultTopic,
        body.eventId,
        TWIN_RESULT_CODES.notFound,
        `Device ${deviceId(namespace, name)} not found while getting twin`,
      );
    this.publish(resultTopic, buildGetResult(this.base(body.eventId), device.twins));
    // A mapper asking is often one that just (re)started: tell it what to write.
    this.publishDelta(namespace, name, device.twins);
  }

  private onStateUpdate(namespace: string, name: string, text: string): void {
    const resultTopic = deviceTopic(namespace, name, 'state/update/result');
    const id = deviceId(namespace, name);
    let request;
    try {
      request = parseStateRequest(text, deviceTopic(namespace, name, 'state/update'));
    } catch (err) {
      return this.fail(resultTopic, looseEventId(text), TWIN_RESULT_CODES.badRequest, errorMessage(err));
    }
    const device = this.opts.store.device(id);
    if (device === undefined)
      return this.fail(resultTopic, request.event_id, TWIN_RESULT_CODES.notFound, `Device ${id} not found`);
    if (!STATES.has(request.state))
      return this.fail(
        resultTopic,
        request.event_id,
        TWIN_RESULT_CODES.badRequest,
        `state "${request.state}" must be one of ${[...STATES].join(', ')}`,
      );
    const now = this.opts.clock.now();
    // KubeEdge stamps last_online on every state report; we stamp it only while online, so an
    // offline device shows when it was last seen online.
    const lastOnline = request.state === 'online' ? formatLastOnline(now) : device.lastOnline;
    try {
      this.opts.store.setState(id, request.state, lastOnline);
    } catch (err) {
      return this.fail(resultTopic, request.event_id, TWIN_RESULT_CODES.internalError, errorMessage(err));
    }
    const state: DeviceStateUpdate = {
      ...this.base(request.event_id || this.newId(), now),
      // `reason` (edgeproof's, from our mappers) says why a device is offline or unhealthy.
      device: {
        name,
        state: request.state,
        last_online: lastOnline,
        ...(request.reason !== undefined ? { reason: request.reason } : {}),
      },
    };
    this.publish(resultTopic, state);
    this.opts.outbox.reportState(namespace, name, state);
  }

  private onMembershipGet(nodeName: string, text: string): void {
    const resultTopic = membershipTopic(this.nodeName, 'get/result');
    if (nodeName !== this.nodeName) {
      this.log.debug('membership/get for another node ignored', { nodeName });
      return;
    }
    const body = parseBody(text, membershipTopic(nodeName, 'get'));
    if (!body.ok) return this.fail(resultTopic, '', TWIN_RESULT_CODES.badRequest, body.reason);
    this.publish(resultTopic, buildMembershipGetResult(this.base(body.eventId), this.opts.store.devices()));
  }

  private fail(topic: string, eventId: string, code: TwinResultCode, reason: string): void {
    const refuse = (): void => {
      this.log.info('twin request refused', { topic, code, reason });
      if (topic.endsWith('/twin/update/result')) this.counters.twinUpdatesRefused++;
      this.publish(topic, buildErrorResult(this.base(eventId), code, reason));
    };
    // Behind the results of the updates still being stored, so replies keep the requests' order.
    if (this.pending !== undefined) this.pending.after.push({ stored: refuse, failed: refuse });
    else refuse();
  }

  private publish(topic: string, payload: object): void {
    this.opts.mqtt.publish(topic, JSON.stringify(payload));
  }

  private base(eventId: string, now = this.opts.clock.now()): BaseMessage {
    return { event_id: eventId, timestamp: now };
  }
}

type Body = { ok: true; value: Record<string, unknown>; eventId: string } | { ok: false; reason: string };

/** The payload as a JSON object with its event_id (UnmarshalBaseMessage), or why it is not one. */
function parseBody(text: string, where: string): Body {
  let v: unknown;
  try {
    v = JSON.parse(text) as unknown;
  } catch (err) {
    return { ok: false, reason: `${where}: payload is not JSON: ${errorMessage(err)}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { ok: false, reason: `${where}: payload must be a JSON object` };
  const o = v as Record<string, unknown>;
  const eventId = o['event_id'];
  if (eventId !== undefined && typeof eventId !== 'string')
    return { ok: false, reason: `${where}: event_id must be a string` };
  return { ok: true, value: o, eventId: eventId ?? '' };
}

function looseEventId(text: string): string {
  const body = parseBody(text, '');
  return body.ok ? body.eventId : '';
}

function splitId(id: string): { namespace: string; name: string } | undefined {
  const slash = id.indexOf('/');
  if (slash <= 0 || slash === id.length - 1) return undefined;
  const name = id.slice(slash + 1);
  if (name.includes('/')) return undefined;
  return { namespace: id.slice(0, slash), name };
}

function snapshot(d: DeviceRecord): DeviceSnapshot {
  const ref = splitId(d.id) ?? { namespace: '', name: d.name };
  const twins: Record<string, MsgTwin> = {};
  for (const [name, t] of Object.entries(d.twins)) if (!isDeleted(t)) twins[name] = toMsgTwin(t, true);
  return {
    id: d.id,
    namespace: ref.namespace,
    name: ref.name,
    description: d.description,
    state: d.state,
    lastOnline: d.lastOnline,
    attributes: membershipDevice(d).attributes ?? {},
    twins,
  };
}
