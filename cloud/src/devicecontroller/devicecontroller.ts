/**
 * DeviceController's twin channel (kubeedge-protocol.md §7.4; ARCHITECTURE.md §2): membership and
 * desired values down, twin reports and device states up into the DeviceStatus resource, and the
 * `membership/detail` request answered. The Device and DeviceModel objects themselves go down with
 * EdgeController's reliable delivery (`../edgecontroller/downstream-desired.ts`), ACKed and
 * ObjectSync'd like pods.
 *
 * Down (NoAck, as KubeEdge sends them): a Device bound to a node (`spec.nodeName`) is a
 * `membership` update with it in `added_devices`; a move removes it from the old node and adds it
 * to the new one; a change of desired values is `device/<ns>/<name>/twin/cloud_updated`; a delete
 * is `removed_devices`. A node that was away asks for `membership/detail` after it connects and gets
 * the whole list with current desired values (ARCHITECTURE.md §5: KubeEdge's cloud ignores the
 * request), so nothing sent while it was away is missed.
 *
 * Up: `device/<ns>/<name>/twin/edge_updated` and `…/state/update` from the node the Device is bound
 * to (another node's report is refused: identity is the certificate's, §2.2) are written to the
 * DeviceStatus of the same name, created with an owner reference to the Device when missing. Writes
 * are coalesced per device: while one is in flight or waiting for its turn, later reports merge into
 * the next, so a fleet reporting faster than the API server writes costs one write per device at a
 * time, not a queue.
 * The edge gets its ACK (resource `twin`, group `twin`, operation `response`, content `OK`, §7.4)
 * once the write that carries its report has succeeded; until then it resends (its queue is durable).
 * A write the API server refuses for what it holds (400, 413, 422: a value the DeviceStatus schema
 * does not allow) is answered with an `error` reply naming the reason instead: the same report can
 * never be written, and any reply ends the edge's resends (KubeEdge's twin `dealConfirm` deletes
 * the confirm-map entry of whatever reply comes, `dtmanager/communicate.go`).
 */
import { randomUUID } from 'node:crypto';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import {
  ConcurrencyLimit,
  EdgeproofError,
  InvalidInputError,
  MESSAGE_OK,
  errorMessage,
  messageBuilder,
  parseCloudResource,
  parseTwinUpdate,
  type Clock,
  type DeviceTwinUpdate,
  type Logger,
  type MembershipDetail,
  type MembershipUpdate,
  type Message,
  type MessageBuilder,
  type MsgTwin,
} from '@edgeproof/core';
import { DEVICES_API_VERSION, DEVICES_GROUP, type Twin } from '@edgeproof/crds';
import { apiStatusCode, kubeApiError } from '../cloudhub/kube-errors.ts';
import type { DeviceObject } from '../edgecontroller/downstream-desired.ts';
import { KeptInformer } from '../kube-informer.ts';
import { DEFAULT_MAX_API_CONNECTIONS } from '../kube-connection-pool.ts';
import { applyTwinReport, changedTwins, membershipDevice, propertyNames } from './device-twins.ts';

const VERSION = 'v1beta1';
/** DeviceStatus writes in flight at once: as many as cloudcore's API connections, none waiting in the pool. */
const STATUS_WRITES = DEFAULT_MAX_API_CONNECTIONS;

/** What DeviceController needs of a cloudhub session (`cloudhub/node-session.ts`). */
export interface DeviceSession {
  readonly nodeId: string;
  send(message: Message): Promise<void>;
}

export interface DeviceControllerOptions {
  kubeConfig: KubeConfig;
  clock: Clock;
  logger: Logger;
  /** The connected session of a node, if any: NoAck messages go only to connected nodes. */
  session: (nodeId: string) => DeviceSession | undefined;
}

/** One device's DeviceStatus: the last written twins, and what waits to be written next. */
type StatusSlot = {
  twins: Twin[] | undefined;
  pendingTwins: DeviceTwinUpdate[];
  pendingState: StateReport | undefined;
  /** ACKs owed once the next write succeeds. */
  acks: Array<{ session: DeviceSession; request: Message }>;
  writing: boolean;
};

/** See the module comment. Constructing does no I/O; `start()` watches Devices. */
export class DeviceController {
  private readonly options: DeviceControllerOptions;
  private readonly logger: Logger;
  private readonly api: CustomObjectsApi;
  private readonly builder: MessageBuilder;
  private readonly devices: KeptInformer<DeviceObject>;
  /** The last Device seen per `<ns>/<name>`, to tell what changed. */
  private readonly known = new Map<string, DeviceObject>();
  private readonly slots = new Map<string, StatusSlot>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly statusWrites = new ConcurrencyLimit(STATUS_WRITES);
  /** Slots with a write in flight or waiting for its turn. */
  private slotsWriting = 0;

  constructor(options: DeviceControllerOptions) {
    this.options = options;
    this.logger = options.logger;
    this.api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.builder = messageBuilder({ clock: options.clock });
    const api = this.api;
    this.devices = new KeptInformer<DeviceObject>({
      kubeConfig: options.kubeConfig,
      path: `/apis/${DEVICES_GROUP}/${VERSION}/devices`,
      list: async () =>
        (await api.listClusterCustomObject({
          group: DEVICES_GROUP,
          version: VERSION,
          plural: 'devices',
        })) as {
          items: DeviceObject[];
        },
      clock: options.clock,
      logger: options.logger,
      what: 'devices',
    });
    const guard =
      (fn: (d: DeviceObject) => void) =>
      (d: DeviceObject): void => {
        try {
          fn(d);
        } catch (err) {
          this.logger.error('device event handler failed', { error: errorMessage(err) });
        }
      };
    this.devices.informer.on(
      'add',
      guard((d) => this.deviceSeen(d)),
    );
    this.devices.informer.on(
      'update',
      guard((d) => this.deviceSeen(d)),
    );
    this.devices.informer.on(
      'delete',
      guard((d) => this.deviceGone(d)),
    );
  }

  async start(): Promise<void> {
    await this.devices.start();
  }

  async stop(): Promise<void> {
    await this.devices.stop();
    await this.idle();
  }

  /** True once the Device cache holds the cluster's state. */
  synced(): boolean {
    return this.devices.synced();
  }

  /** Resolves when no DeviceStatus write is in flight (tests, shutdown). */
  idle(): Promise<void> {
    if (this.slotsWriting === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** True for the upstream messages this controller handles (§7.4): device twin/state and membership/detail. */
  static handles(message: Message): boolean {
    try {
      const ref = parseCloudResource(message.route.resource ?? '', message.route.operation);
      return ref.kind === 'device' || (ref.kind === 'twin' && ref.resource === 'membership/detail');
    } catch {
      return false;
    }
  }

  /** Handles one upstream message from `session`'s node. Never throws: problems are logged. */
  async handle(session: DeviceSession, message: Message): Promise<void> {
    try {
      const ref = parseCloudResource(message.route.resource ?? '', message.route.operation);
      if (ref.kind === 'twin' && ref.resource === 'membership/detail') {
        await this.answerMembershipDetail(session, message);
        return;
      }
      if (ref.kind !== 'device') return;
      const device = this.devices.informer.get(ref.name, ref.namespace);
      const where = `${message.route.resource}`;
      if (device === undefined) {
        this.logger.warn('twin report for an unknown device; dropped', {
          node: session.nodeId,
          resource: where,
        });
        await this.ack(session, message); // nothing to write: stop the edge resending it
        return;
      }
      if (device.spec?.nodeName !== session.nodeId) {
        this.logger.warn('twin report from a node the device is not bound to; refused', {
          node: session.nodeId,
          boundTo: device.spec?.nodeName,
          resource: where,
        });
        await this.refuse(
          session,
          message,
          `device ${ref.namespace}/${ref.name} is not bound to node ${session.nodeId}`,
        );
        return;
      }
      const slot = this.slot(`${ref.namespace}/${ref.name}`);
      if (ref.path === 'twin/edge_updated') {
        slot.pendingTwins.push(parseTwinUpdate(message.content, where));
      } else if (ref.path === 'state/update') {
        slot.pendingState = parseState(message.content, where);
      } else {
        this.logger.debug('device message not handled', {
          resource: where,
          operation: message.route.operation,
        });
        return;
      }
      slot.acks.push({ session, request: message });
      this.write(device, slot);
    } catch (err) {
      this.logger.warn('device message refused', {
        node: session.nodeId,
        resource: message.route.resource,
        error: errorMessage(err),
      });
      await this.refuse(session, message, errorMessage(err));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Down

  private deviceSeen(device: DeviceObject): void {
    const key = keyOf(device);
    const before = this.known.get(key);
    this.known.set(key, device);
    const now = this.options.clock.now();
    const node = device.spec?.nodeName;
    const oldNode = before?.spec?.nodeName;
    if (before === undefined || oldNode !== node) {
      if (before !== undefined && oldNode) this.sendMembership(oldNode, { removed: [before] });
      if (node) this.sendMembership(node, { added: [device] });
      return;
    }
    if (!node) return;
    const twins = changedTwins(before, device, now);
    if (twins !== undefined) this.sendCloudUpdated(node, device, twins);
  }

  private deviceGone(device: DeviceObject): void {
    const key = keyOf(device);
    const before = this.known.get(key) ?? device;
    this.known.delete(key);
    this.slots.delete(key);
    const node = before.spec?.nodeName;
    if (node) this.sendMembership(node, { removed: [before] });
  }

  private sendMembership(nodeId: string, change: { added?: DeviceObject[]; removed?: DeviceObject[] }): void {
    const now = this.options.clock.now();
    const content: MembershipUpdate = {
      event_id: this.newEventId(),
      timestamp: now,
      added_devices: (change.added ?? []).map((d) => membershipDevice(d, now)),
      removed_devices: (change.removed ?? []).map((d) => membershipDevice(d, now)),
    };
    this.sendTo(nodeId, 'membership', content);
  }

  private sendCloudUpdated(nodeId: string, device: DeviceObject, twins: Record<string, MsgTwin>): void {
    const content: DeviceTwinUpdate = {
      event_id: this.newEventId(),
      timestamp: this.options.clock.now(),
      twin: twins,
    };
    this.sendTo(
      nodeId,
      `device/${device.metadata?.namespace}/${device.metadata?.name}/twin/cloud_updated`,
      content,
    );
  }

  private sendTo(nodeId: string, resource: string, content: unknown): void {
    const session = this.options.session(nodeId);
    if (session === undefined) return; // membership/detail after it connects catches up
    const message = this.builder.newMessage({
      source: 'devicecontroller',
      group: 'twin',
      operation: 'update',
      resource,
      content,
    });
    session
      .send(message)
      .catch((err: unknown) =>
        this.logger.warn('twin message not sent', { node: nodeId, resource, error: errorMessage(err) }),
      );
  }

  private async answerMembershipDetail(session: DeviceSession, request: Message): Promise<void> {
    const now = this.options.clock.now();
    const devices = this.devices.informer
      .list()
      .filter((d) => d.spec?.nodeName === session.nodeId)
      .map((d) => membershipDevice(d, now));
    const content: MembershipDetail = { event_id: this.newEventId(), timestamp: now, devices };
    const reply = this.builder.newResponse(request, content);
    reply.route = {
      source: 'devicecontroller',
      group: 'twin',
      operation: 'response',
      resource: 'membership/detail',
    };
    await session.send(reply);
  }

  private newEventId(): string {
    return randomUUID();
  }

  // ------------------------------------------------------------------------------------------
  // Up

  private slot(key: string): StatusSlot {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { twins: undefined, pendingTwins: [], pendingState: undefined, acks: [], writing: false };
      this.slots.set(key, slot);
    }
    return slot;
  }

  /**
   * Writes what `slot` holds, one write at a time per device and at most STATUS_WRITES at once;
   * reports arriving meanwhile wait for the next. What is written is taken when the write starts,
   * not when it was asked for, so a device waiting for its turn writes its newest values: a
   * queue of requests in the HTTP pool instead would write values as old as the queue is long.
   */
  private write(device: DeviceObject, slot: StatusSlot): void {
    if (slot.writing) return;
    slot.writing = true;
    this.slotsWriting++;
    let acks: StatusSlot['acks'] = [];
    void this.statusWrites
      .run(async () => {
        const reports = slot.pendingTwins.splice(0);
        const state = slot.pendingState;
        slot.pendingState = undefined;
        acks = slot.acks.splice(0);
        await this.writeStatus(device, slot, reports, state);
      })
      .then(async () => {
        for (const { session, request } of acks) await this.ack(session, request);
      })
      .catch(async (err: unknown) => {
        // The cache is dropped so the next write starts from the server.
        slot.twins = undefined;
        if (refusedForContent(err)) {
          // Sending the same reports again cannot succeed: the edge is told why, and drops them
          // instead of resending every 60 s forever (any reply ends a report's resends, §7.4).
          this.logger.warn('DeviceStatus refused by the API server; the reports are refused to the edge', {
            device: keyOf(device),
            reports: acks.length,
            error: errorMessage(err),
          });
          const reason = `DeviceStatus ${keyOf(device)} not written: ${errorMessage(err)}`;
          for (const { session, request } of acks) await this.refuse(session, request, reason);
          return;
        }
        // No ACK: the edge resends.
        this.logger.warn('DeviceStatus not written; the edge will resend', {
          device: keyOf(device),
          error: errorMessage(err),
        });
      })
      .finally(() => {
        slot.writing = false;
        this.slotsWriting--;
        const current = this.devices.informer.get(device.metadata?.name ?? '', device.metadata?.namespace);
        if (current !== undefined && (slot.pendingTwins.length > 0 || slot.pendingState !== undefined)) {
          this.write(current, slot);
        } else if (this.slotsWriting === 0) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
        }
      });
  }

  private async writeStatus(
    device: DeviceObject,
    slot: StatusSlot,
    reports: DeviceTwinUpdate[],
    state: StateReport | undefined,
  ): Promise<void> {
    const namespace = device.metadata?.namespace ?? '';
    const name = device.metadata?.name ?? '';
    let existing = true;
    if (slot.twins === undefined) {
      const current = await this.readStatus(namespace, name);
      existing = current !== undefined;
      slot.twins = current?.status?.twins ?? [];
    }
    const properties = propertyNames(device);
    let twins = slot.twins;
    for (const report of reports) twins = applyTwinReport(twins, report, properties);
    const status: Record<string, unknown> = {};
    // `extensions` holds what the printer columns show (crds/manifests/devices_v1beta1_devicestatus.yaml).
    const extensions: Record<string, unknown> = {};
    if (reports.length > 0) {
      status['twins'] = twins;
      extensions['reported'] = reportedSummary(twins);
    }
    if (state) {
      status['state'] = state.state;
      if (state.lastOnlineTime) status['lastOnlineTime'] = state.lastOnlineTime;
      // Why the device is offline or unhealthy; a merge-patch null removes it once it is not.
      extensions['stateReason'] = state.reason ?? null;
    }
    if (Object.keys(extensions).length > 0) status['extensions'] = extensions;
    if (!existing) {
      await this.createStatus(device, withoutNulls(status));
    } else {
      try {
        await this.patchStatus(namespace, name, status);
      } catch (err) {
        if (apiStatusCode(err) !== 404) throw kubeApiError(`patch devicestatus ${namespace}/${name}`, err);
        // Deleted meanwhile (or by the user): make it again.
        await this.createStatus(device, withoutNulls(status));
      }
    }
    slot.twins = twins;
  }

  private async readStatus(
    namespace: string,
    name: string,
  ): Promise<{ status?: { twins?: Twin[] } } | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({
        group: DEVICES_GROUP,
        version: VERSION,
        namespace,
        plural: 'devicestatuses',
        name,
      })) as { status?: { twins?: Twin[] } };
    } catch (err) {
      if (apiStatusCode(err) === 404) return undefined;
      throw kubeApiError(`read devicestatus ${namespace}/${name}`, err);
    }
  }

  /** A DeviceStatus named like the Device and owned by it (§8.1 v1.23: 1:1 through an OwnerReference). */
  private async createStatus(device: DeviceObject, status: Record<string, unknown>): Promise<void> {
    const namespace = device.metadata?.namespace ?? '';
    const name = device.metadata?.name ?? '';
    const body = {
      apiVersion: DEVICES_API_VERSION,
      kind: 'DeviceStatus',
      metadata: {
        name,
        namespace,
        ownerReferences: [
          {
            apiVersion: DEVICES_API_VERSION,
            kind: 'Device',
            name,
            uid: device.metadata?.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {},
      status,
    };
    try {
      await this.api.createNamespacedCustomObject({
        group: DEVICES_GROUP,
        version: VERSION,
        namespace,
        plural: 'devicestatuses',
        body,
      });
    } catch (err) {
      if (apiStatusCode(err) !== 409) throw kubeApiError(`create devicestatus ${namespace}/${name}`, err);
      await this.patchStatus(namespace, name, status); // created meanwhile: merge into it
    }
  }

  /** Merge-patches `.status` through the main resource (the CRD has no status subresource, §8.1). */
  private async patchStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
    await this.api.patchNamespacedCustomObject(
      { group: DEVICES_GROUP, version: VERSION, namespace, plural: 'devicestatuses', name, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** An `error` reply to `request` saying why it is not carried out; the edge drops the report. */
  private async refuse(session: DeviceSession, request: Message, reason: string): Promise<void> {
    await session
      .send(this.builder.newErrorResponse(request, reason))
      .catch((err: unknown) =>
        this.logger.debug('twin refusal not sent', { node: session.nodeId, error: errorMessage(err) }),
      );
  }

  /** §7.4 cloud ACK: resource `twin`, group `twin`, operation `response`, content `OK`. */
  private async ack(session: DeviceSession, request: Message): Promise<void> {
    const reply = this.builder.newResponse(request, MESSAGE_OK);
    reply.route = { source: 'devicecontroller', group: 'twin', operation: 'response', resource: 'twin' };
    await session
      .send(reply)
      .catch((err: unknown) =>
        this.logger.debug('twin ACK not sent', { node: session.nodeId, error: errorMessage(err) }),
      );
  }
}

/**
 * A write the API server refused for what it holds — 400 Bad Request, 413 too large, 422 Invalid
 * (a value the DeviceStatus schema does not allow) — so that the same reports cannot succeed
 * later. Not 403 or 404: an operator can grant the access or restore the CRD, and the resend lands.
 */
function refusedForContent(err: unknown): boolean {
  const code = apiStatusCode(err instanceof EdgeproofError && err.cause !== undefined ? err.cause : err);
  return code === 400 || code === 413 || code === 422;
}

/** `value` without the null members a merge patch uses for removal (a create has nothing to remove). */
function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) continue;
    out[k] = typeof v === 'object' && !Array.isArray(v) ? withoutNulls(v as Record<string, unknown>) : v;
  }
  return out;
}

/** `name=value,…` of the reported twins, for `kubectl get devicestatuses`. */
function reportedSummary(twins: readonly Twin[]): string {
  return twins
    .filter((t) => t.propertyName && t.reported?.value !== undefined)
    .map((t) => `${t.propertyName}=${t.reported?.value}`)
    .join(',');
}

function keyOf(device: DeviceObject): string {
  return `${device.metadata?.namespace}/${device.metadata?.name}`;
}

/** The state report's content (`dttype.BuildDeviceState`: `{device: {state, last_online}}`), or a bare `{state}`. */
type StateReport = { state: string; lastOnlineTime?: string; reason?: string };

function parseState(content: unknown, where: string): StateReport {
  let parsed: unknown = content;
  if (typeof content === 'string') {
    try {
      parsed = JSON.parse(content) as unknown;
    } catch (err) {
      throw new InvalidInputError(`${where}: content is not JSON: ${errorMessage(err)}`);
    }
  }
  const v = parsed as {
    state?: unknown;
    device?: { state?: unknown; last_online?: unknown; lastOnlineTime?: unknown; reason?: unknown };
  } | null;
  const state = v?.device?.state ?? v?.state;
  if (typeof state !== 'string' || state === '')
    throw new InvalidInputError(`${where}: no device state in the report`);
  const last = v?.device?.last_online ?? v?.device?.lastOnlineTime;
  const reason = v?.device?.reason;
  return {
    state,
    ...(typeof last === 'string' && last !== '' ? { lastOnlineTime: last } : {}),
    ...(typeof reason === 'string' && reason !== '' ? { reason: reason.slice(0, 512) } : {}),
  };
}
