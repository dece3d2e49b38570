/**
 * EdgeCore: one edge node, wired from EdgeHub (the cloud link), MetaStore (the local SQLite copy)
 * and the node-status duties of KubeEdge's edged (kubeedge-protocol.md §4.3, §5.1, §6).
 *
 * - Certificates: `ensureNodeCertificate` in `<dataDir>/certs`; stored ones are reused, so a
 *   restart does not bootstrap again (§2.4).
 * - On every (re)connect: registers the node (`insert` `default/node/<n>`, source `edged`, group
 *   `meta`, §4.3) with its status, and renews the lease. From then on, as the kubelet does (§6:
 *   "updates every 10 s, reports every 5 min, 40 s lease"): every `statusIntervalMs` (10 s) the
 *   lease is renewed (`kube-node-lease/lease/<n>`, `insert` once, then `update`), and a `nodepatch`
 *   with a fresh Ready heartbeat is sent every `statusReportIntervalMs` (5 min) — sooner when a
 *   renewal or report failed, since the cloud may have marked the node Unknown meanwhile, and a
 *   failed registration is retried at the next tick. The lease is what keeps the node Ready; a
 *   nodepatch every 10 s from thousands of nodes would double the API server's write load.
 * - Certificate rotation: every `rotationCheckMs` (1 h) the certificate's rotation point (70–90 % of
 *   its lifetime, §2.4) is checked; when due, it is renewed with the current certificate and the link
 *   reconnects with the new one (KubeEdge closes the link on rotation, §2.3). A failure is logged and
 *   tried again at the next check, while the old certificate is still valid.
 * - Downstream `resource` insert/update/delete are stored in `<dataDir>/edgecore.db` and ACKed
 *   with a `response` whose content is `"OK"` (same route, `parent_msg_id` = the message's id):
 *   what edge MetaManager does and what cloudhub waits for (§3.2; `edge/pkg/metamanager/process.go`).
 *   A store failure sends no ACK, so the cloud resends.
 * - Pods: a stored pod for this node is run by edged (`edged/edged.ts`) on the runtime chosen with
 *   `runtime` (`process` by default, `hollow` for scale); at start the stored pods run again before
 *   any connection, so an edgecore restarted offline restores its workloads (§5.2).
 * - Pod status and events from edged are queued in SQLite (`metamanager/upstream-queue.ts`,
 *   coalesced per pod) and sent as `<ns>/podpatch/<name>` (`patch`, the strategic-merge patch as a
 *   JSON string, §4.3) and `<ns>/event/<name>` (`insert`); an entry leaves the queue only when the
 *   cloud has answered it without an error, so statuses made offline arrive after reconnect.
 * - MetaServer (`metaserver/`) serves what the node holds as a read-only Kubernetes API on
 *   127.0.0.1:10550 (§5.3; on by default here, loopback only), online or offline, and
 *   `<dataDir>/kubeconfig` points kubectl at it.
 * - Devices (§7): EventBus runs an MQTT broker (embedded aedes on 127.0.0.1:1884 by default, or
 *   an external one) and DeviceTwin keeps the twins; downstream `twin` messages (membership,
 *   `twin/cloud_updated`, `membership/detail` answers and report ACKs) go to DeviceTwin, which
 *   sends its reports through the cloud link and keeps them in SQLite until ACKed.
 * - Replies to our requests (§4.2: operation `response`, content `{"Object","Err"}`) resolve the
 *   pending request; an `Err` is logged.
 *
 * No globals, injected clock, no I/O in the constructor (ARCHITECTURE.md §4): many EdgeCores can
 * run in one process. `stop()` cancels every timer it made.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, networkInterfaces, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  InvalidInputError,
  MESSAGE_OK,
  contentAsJson,
  contentAsString,
  errorMessage,
  messageBuilder,
  parseEdgeResource,
  type Clock,
  type Logger,
  type Message,
  type MessageBuilder,
  type TimerHandle,
} from '@edgeproof/core';
import type { CertFetch } from '../edgehub/cert-fetch.ts';
import { ensureNodeCertificate, rotateIfDue } from '../edgehub/certificates.ts';
import { EdgeHub, type EdgeHubOptions } from '../edgehub/edgehub-client.ts';
import { Edged } from '../edged/edged.ts';
import type { PodEvent, PodIdentity, RuntimeKind } from '../edged/runtime.ts';
import type { PodStatus } from '../edged/pod-types.ts';
import { MetaStore } from '../metamanager/store.ts';
import { UpstreamQueue } from '../metamanager/upstream-queue.ts';
import { MetaServer } from '../metaserver/index.ts';
import { createDeviceServices, type DeviceServices } from '../devicetwin/device-services.ts';
import type { BrokerConfig } from '../eventbus/eventbus.ts';
import { DeviceMappers } from './device-mappers.ts';

/** edged's node status update frequency (§6). */
export const DEFAULT_STATUS_INTERVAL_MS = 10_000;
/** The kubelet's `nodeStatusReportFrequency`: a status with no change is posted this often (§6). */
export const DEFAULT_STATUS_REPORT_INTERVAL_MS = 5 * 60_000;
/** edged's node lease duration (§6). */
export const DEFAULT_LEASE_DURATION_SECONDS = 40;
/** Reported as `nodeInfo.kubeletVersion`: the kubelet fork KubeEdge builds on (§6) plus our name. */
export const EDGEPROOF_KUBELET_VERSION = 'v1.32.4-kubeedge-edgeproof';
export const EDGEPROOF_RUNTIME_VERSION = 'edgeproof://0.1.0';
/** `registerNodeNamespace` (§4.3). */
export const REGISTER_NODE_NAMESPACE = 'default';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** How long a request waits for its reply before it is forgotten (`remoteQueryTimeout`, §4.3). */
export const REQUEST_TIMEOUT_MS = 60_000;
/** How often the certificate's rotation point is looked at. */
export const DEFAULT_ROTATION_CHECK_MS = 60 * 60_000;
/** Kubelet's default `maxPods`. */
const DEFAULT_MAX_PODS = 110;

export interface EdgeCoreOptions {
  /** Holds `certs/` and `edgecore.db`. */
  dataDir: string;
  nodeName: string;
  /** cloudhub's WebSocket address, `host:port` (default port 10000). */
  cloudHub: string;
  /** cloudhub's certificate server, `host:port` (default port 10002). */
  certServer: string;
  /** Join token; needed only on the first start (no stored certificate). */
  token?: string;
  clock: Clock;
  logger: Logger;
  statusIntervalMs?: number;
  /** How often an unchanged node status is posted; default 5 min (§6). */
  statusReportIntervalMs?: number;
  leaseDurationSeconds?: number;
  /**
   * MetaServer's address; default 127.0.0.1:10550 (§5.3). Port 0 picks a free one (many nodes in
   * one process); `false` turns it off.
   */
  metaServer?: { host?: string; port?: number } | false;
  /**
   * The device side (EventBus + DeviceTwin, §7): the MQTT broker to run or use; default the
   * embedded broker on 127.0.0.1:1884 (§7.1 mqttMode 0); `mappers: false` leaves the devices to
   * mappers of the user's own (default: edgeproof's Modbus and OPC UA mappers run here). `false`
   * turns devices off (hollow fleets).
   */
  devices?: { broker?: BrokerConfig; mappers?: boolean } | false;
  /** The pod runtime (`--runtime`); default `process`. */
  runtime?: RuntimeKind;
  /** Extra node labels, added to the edge labels. */
  labels?: Record<string, string>;
  /** The InternalIP reported; default the first non-internal IPv4 address, else 127.0.0.1. */
  nodeIP?: string;
  /** EdgeHub tuning (tests shorten keepalive and backoff). */
  edgeHub?: Partial<
    Pick<
      EdgeHubOptions,
      'keepaliveIntervalMs' | 'writeTimeoutMs' | 'backoff' | 'projectId' | 'maxQueuedMessages'
    >
  >;
  /** How often to check whether the certificate is due for rotation; default 1 h. */
  rotationCheckMs?: number;
  /** Certificate transport; default HTTPS. */
  certFetch?: CertFetch;
  /** Message ids; default `crypto.randomUUID`. */
  newId?: () => string;
  /** Told when the link to cloudhub comes up (`true`) or goes down (`false`). Must not throw. */
  onConnectionChange?: (up: boolean) => void;
  /** Told each time the cloud accepts the node's registration (after every connect). Must not throw. */
  onRegistered?: () => void;
}

interface Pending {
  what: string;
  sentAt: number;
  /**
   * Called when the request is refused, answered with an error, or never answered; `final` when
   * sending it again cannot help (refused, or an API answer such as NotFound or Invalid).
   */
  onFailed: ((final: boolean) => void) | undefined;
  /** Called when the cloud answered without an error. */
  onOk: (() => void) | undefined;
}

/** What to do when a request is answered. */
interface RequestCallbacks {
  onOk?: () => void;
  onFailed?: (final: boolean) => void;
}

/** One edge node; see the module comment. */
export class EdgeCore {
  readonly nodeName: string;
  private readonly opts: EdgeCoreOptions;
  private readonly log: Logger;
  private readonly builder: MessageBuilder;
  private readonly statusIntervalMs: number;
  private readonly statusReportIntervalMs: number;
  private readonly leaseDurationSeconds: number;
  private readonly pending = new Map<string, Pending>();

  private hub: EdgeHub | undefined;
  private store: MetaStore | undefined;
  private uploads: UpstreamQueue | undefined;
  private edged: Edged | undefined;
  private metaServer: MetaServer | undefined;
  private devices: DeviceServices | undefined;
  private mappers: DeviceMappers | undefined;
  /**
   * Queue key → seq of the upload on its way. One per key at a time: two statuses of a pod in
   * flight together could be applied out of order by the cloud, the older last.
   */
  private readonly uploadsInFlight = new Map<string, number>();
  private statusTimer: TimerHandle | undefined;
  private rotationTimer: TimerHandle | undefined;
  private rotating: Promise<void> | undefined;
  private started = false;
  private preparing: Promise<void> | undefined;
  private stopped = false;
  private leaseCreated = false;
  private eventSeq = 0;
  /** When the last nodepatch or registration was sent (clock ms). */
  private lastReportAt = 0;
  /** A renewal or report failed: post status at the next tick. */
  private reportDue = false;
  /** The registration failed: register again at the next tick. */
  private registerDue = false;
  /** When Ready last became True (the condition's lastTransitionTime). */
  private readySince = 0;
  /** `nodeInfo.osImage`, read at start (the kubelet reports os-release's PRETTY_NAME). */
  private osImage = goOs();
  /** The Node's UID from the register reply, for the lease's ownerReference. */
  private nodeUid: string | undefined;

  constructor(options: EdgeCoreOptions) {
    if (options.dataDir === '') throw new InvalidInputError('dataDir must not be empty');
    this.opts = options;
    this.nodeName = options.nodeName;
    this.log = options.logger.child('edgecore');
    this.builder = messageBuilder({
      clock: options.clock,
      ...(options.newId ? { newId: options.newId } : {}),
    });
    this.statusIntervalMs = positive(
      options.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS,
      'statusIntervalMs',
    );
    this.statusReportIntervalMs = positive(
      options.statusReportIntervalMs ?? DEFAULT_STATUS_REPORT_INTERVAL_MS,
      'statusReportIntervalMs',
    );
    this.leaseDurationSeconds = positive(
      options.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS,
      'leaseDurationSeconds',
    );
  }

  /** True while the link to cloudhub is up. */
  connected(): boolean {
    return this.hub?.connected ?? false;
  }

  /** Dials to cloudhub that failed before a session opened, since start (0 before). */
  failedDials(): number {
    return this.hub?.failedDials ?? 0;
  }

  /** True once the cloud has accepted the node's registration (the Node exists in the cluster). */
  registered(): boolean {
    return this.nodeUid !== undefined;
  }

  /** MetaServer's URL once started (`http://127.0.0.1:10550`), or undefined when it is off. */
  metaServerUrl(): string | undefined {
    const m = this.metaServer;
    if (m === undefined) return undefined;
    const host = m.host().includes(':') ? `[${m.host()}]` : m.host();
    return `http://${host}:${m.port()}`;
  }

  /** The MQTT broker devices and mappers use (`mqtt://host:port`), once started; undefined when devices are off. */
  brokerUrl(): string | undefined {
    return this.devices?.eventBus.brokerUrl();
  }

  /** The device side, for queries (MetaServer, tests); undefined when devices are off. */
  deviceServices(): DeviceServices | undefined {
    return this.devices;
  }

  /** Requests sent and not yet answered (dropped after `REQUEST_TIMEOUT_MS`). */
  pendingRequests(): number {
    return this.pending.size;
  }

  /**
   * Gets credentials (bootstrapping with the token only when none are stored), opens the database
   * and starts connecting. Resolves once connecting has begun; watch `connected()`. Rejects when
   * there is no usable certificate and it cannot get one, or the database cannot be opened.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.prepare();
    if (this.stopped || this.hub === undefined) return;
    // The local API and the pods first: both work from the store, cloud or no cloud (§5.2, §5.3).
    if (this.metaServer) {
      await this.metaServer.start();
      writeEdgeKubeconfig(join(this.opts.dataDir, 'kubeconfig'), this.metaServerUrl() ?? '', this.nodeName);
    }
    await this.edged?.start();
    if (this.stopped) return;
    await this.devices?.start();
    if (this.stopped) return;
    await this.mappers?.start();
    if (this.stopped) return;
    this.hub.start();
    const o = this.opts;
    const every = positive(o.rotationCheckMs ?? DEFAULT_ROTATION_CHECK_MS, 'rotationCheckMs');
    this.rotationTimer = o.clock.setInterval(() => {
      this.rotating ??= this.rotateCertificate().finally(() => (this.rotating = undefined));
    }, every);
  }

  /** Renews the certificate when it is due and hands the new one to EdgeHub (which reconnects). */
  private async rotateCertificate(): Promise<void> {
    const o = this.opts;
    try {
      const result = await rotateIfDue({
        dir: join(o.dataDir, 'certs'),
        nodeName: o.nodeName,
        certServer: o.certServer,
        clock: o.clock,
        logger: this.log,
        ...(o.certFetch !== undefined ? { fetch: o.certFetch } : {}),
      });
      if (result.rotated && !this.stopped) this.hub?.setCredentials(result.credentials);
    } catch (err) {
      this.log.warn('certificate rotation failed; will try again', { error: errorMessage(err) });
    }
  }

  /**
   * The part of `start()` before any connection: credentials (bootstrapping with the token only when
   * none are stored) and the database. `start()` calls it; calling it first lets a caller with many
   * nodes (a hollow fleet) do this slow local work before it times the connections. Idempotent.
   */
  async prepare(): Promise<void> {
    this.preparing ??= this.load();
    await this.preparing;
  }

  private async load(): Promise<void> {
    const o = this.opts;
    const credentials = await ensureNodeCertificate({
      dir: join(o.dataDir, 'certs'),
      nodeName: o.nodeName,
      certServer: o.certServer,
      clock: o.clock,
      logger: this.log,
      ...(o.token !== undefined ? { token: o.token } : {}),
      ...(o.certFetch !== undefined ? { fetch: o.certFetch } : {}),
    });
    if (this.stopped) return;
    this.log.info('node certificate ready', { source: credentials.source });
    const dbPath = join(o.dataDir, 'edgecore.db');
    this.store = MetaStore.open(dbPath);
    this.uploads = UpstreamQueue.open(dbPath);
    if (o.metaServer !== false) {
      this.metaServer = new MetaServer({
        store: this.store,
        clock: o.clock,
        logger: this.log.child('metaserver'),
        ...(o.metaServer?.host !== undefined ? { host: o.metaServer.host } : {}),
        ...(o.metaServer?.port !== undefined ? { port: o.metaServer.port } : {}),
      });
    }
    if (o.devices !== false) {
      this.devices = createDeviceServices({
        nodeName: o.nodeName,
        dataDir: o.dataDir,
        broker: o.devices?.broker ?? { mode: 'internal' },
        cloud: {
          send: (m) => {
            if (this.hub === undefined) throw new InvalidInputError('edgecore has no cloud link yet');
            this.hub.send(m);
          },
          connected: () => this.connected(),
        },
        clock: o.clock,
        logger: this.log.child('devices'),
        ...(o.newId ? { newId: o.newId } : {}),
      });
      if (o.devices?.mappers !== false) {
        this.mappers = new DeviceMappers({
          store: this.store,
          mqttUrl: () => this.devices?.eventBus.brokerUrl(),
          dataDir: o.dataDir,
          nodeName: o.nodeName,
          clock: o.clock,
          logger: this.log.child('mappers'),
        });
      }
    }
    this.edged = new Edged({
      nodeName: o.nodeName,
      ...(o.nodeIP !== undefined ? { nodeIP: o.nodeIP } : {}),
      runtime: o.runtime ?? 'process',
      rootDir: join(o.dataDir, 'edged'),
      store: this.store,
      clock: o.clock,
      logger: this.log,
      onPodStatus: (pod, status) => this.podStatusChanged(pod, status),
      onPodEvent: (pod, event) => this.podEvent(pod, event),
      onPodTerminated: (pod) => this.podTerminated(pod),
    });
    this.osImage = readOsImage() ?? goOs();
    this.hub = new EdgeHub({
      ...o.edgeHub,
      server: o.cloudHub,
      nodeName: o.nodeName,
      credentials,
      clock: o.clock,
      logger: this.log,
      ...(o.newId ? { newId: o.newId } : {}),
      onMessage: (m) => this.onMessage(m),
      onConnectionChange: (up) => this.onConnectionChange(up),
    });
  }

  /** Stops the status loop, closes the link and the database; leaves no timer behind. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.statusTimer?.cancel();
    this.statusTimer = undefined;
    this.rotationTimer?.cancel();
    this.rotationTimer = undefined;
    await this.rotating;
    await this.hub?.stop();
    await this.mappers?.stop();
    await this.devices?.stop();
    await this.edged?.stop();
    await this.metaServer?.stop();
    this.uploads?.close();
    this.store?.close();
    this.pending.clear();
  }

  // -------------------------------------------------------------------------------------------

  private onConnectionChange(up: boolean): void {
    this.handleConnectionChange(up);
    try {
      this.opts.onConnectionChange?.(up);
    } catch (err) {
      this.log.error('onConnectionChange handler failed', { error: errorMessage(err) });
    }
  }

  private handleConnectionChange(up: boolean): void {
    this.devices?.cloudConnectionChanged(up && !this.stopped);
    this.statusTimer?.cancel();
    this.statusTimer = undefined;
    // Replies to what was in flight may never come; send it again after the reconnect.
    this.uploadsInFlight.clear();
    if (!up || this.stopped) return;
    // edged registers at start and KubeEdge re-registers after a reconnect; insert is idempotent on
    // the cloud (register = create or update, §4.2).
    if (this.readySince === 0) this.readySince = this.opts.clock.now();
    this.register();
    this.renewLease();
    this.flushUploads();
    this.statusTimer = this.opts.clock.setInterval(() => this.statusTick(), this.statusIntervalMs);
  }

  private statusTick(): void {
    if (this.stopped || !this.connected()) return;
    this.prunePending();
    this.flushUploads(); // retries what failed
    if (this.registerDue) {
      this.register();
    } else if (this.reportDue || this.opts.clock.now() - this.lastReportAt >= this.statusReportIntervalMs) {
      this.reportStatus();
    }
    this.renewLease();
  }

  private register(): void {
    this.registerDue = false;
    this.reportDue = false;
    this.lastReportAt = this.opts.clock.now();
    this.request('insert', `${REGISTER_NODE_NAMESPACE}/node/${this.nodeName}`, this.nodeObject(), {
      onFailed: () => (this.registerDue = true),
    });
  }

  /** The kubelet patches node status through `default/nodepatch/<n>`; the content is the
   * strategic-merge patch as a JSON string (§4.3, §6). */
  private reportStatus(): void {
    this.reportDue = false;
    this.lastReportAt = this.opts.clock.now();
    this.request(
      'patch',
      `${REGISTER_NODE_NAMESPACE}/nodepatch/${this.nodeName}`,
      JSON.stringify(this.statusPatch()),
      { onFailed: () => (this.reportDue = true) },
    );
  }

  private renewLease(): void {
    const op = this.leaseCreated ? 'update' : 'insert';
    this.leaseCreated = true;
    this.request(op, `${NODE_LEASE_NAMESPACE}/lease/${this.nodeName}`, this.leaseObject(), {
      onFailed: () => (this.reportDue = true),
    });
  }

  /** Sends an edged request (§4.3) and remembers it until its reply. */
  private request(
    operation: 'insert' | 'update' | 'patch' | 'delete',
    resource: string,
    content: unknown,
    callbacks: RequestCallbacks = {},
  ): void {
    const m = this.builder.newMessage({ source: 'edged', group: 'meta', operation, resource, content });
    try {
      this.hub?.send(m);
      this.pending.set(m.header.msg_id, {
        what: `${operation} ${resource}`,
        sentAt: this.opts.clock.now(),
        onFailed: callbacks.onFailed,
        onOk: callbacks.onOk,
      });
    } catch (err) {
      this.log.warn('request not sent', { operation, resource, error: errorMessage(err) });
      callbacks.onFailed?.(false);
    }
  }

  private prunePending(): void {
    const cutoff = this.opts.clock.now() - REQUEST_TIMEOUT_MS;
    for (const [id, p] of this.pending) {
      if (p.sentAt <= cutoff) {
        this.pending.delete(id);
        this.log.warn('no reply from the cloud', { request: p.what, msgId: id });
        p.onFailed?.(false);
      }
    }
  }

  private onMessage(m: Message): void {
    // Twin traffic first: its ACKs and membership/detail answers carry parent_msg_id too (§7.4), and
    // so do `error` replies, which have no group: DeviceTwin takes those answering its own messages.
    const maybeTwin = m.route.group === 'twin' || m.route.operation === 'error';
    if (maybeTwin && this.devices?.handleCloudMessage(m)) return;
    const parent = m.header.parent_msg_id;
    if (parent !== undefined && parent !== '') {
      this.onReply(parent, m);
      return;
    }
    const op = m.route.operation;
    if (m.route.group === 'resource' && (op === 'insert' || op === 'update' || op === 'delete')) {
      this.storeAndAck(m, op);
      return;
    }
    this.log.debug('downstream message not handled', { route: m.route, msgId: m.header.msg_id });
  }

  private onReply(parent: string, m: Message): void {
    const p = this.pending.get(parent);
    if (p === undefined) {
      this.log.debug('reply to an unknown request', { parent, route: m.route });
      return;
    }
    this.pending.delete(parent);
    if (m.route.operation === 'error') {
      this.log.warn('the cloud refused a request', { request: p.what, error: contentAsString(m) });
      p.onFailed?.(true);
      return;
    }
    // ObjectResp: {"Object":…,"Err":…} with capitalised keys (§4.2).
    const c = m.content as { Object?: { metadata?: { uid?: unknown } }; Err?: unknown } | null;
    const err = typeof c === 'object' && c !== null ? c.Err : undefined;
    if (
      err !== undefined &&
      err !== null &&
      err !== '' &&
      !(typeof err === 'object' && Object.keys(err).length === 0)
    ) {
      this.log.warn('the cloud answered a request with an error', {
        request: p.what,
        error: typeof err === 'string' ? err : JSON.stringify(err),
      });
      p.onFailed?.(isFinalApiError(err));
      return;
    }
    const uid = typeof c === 'object' && c !== null ? c.Object?.metadata?.uid : undefined;
    if (p.what.startsWith('insert default/node/') && typeof uid === 'string') {
      this.nodeUid = uid;
      try {
        this.opts.onRegistered?.();
      } catch (e) {
        this.log.error('onRegistered handler failed', { error: errorMessage(e) });
      }
    }
    p.onOk?.();
    this.log.debug('request answered', { request: p.what });
  }

  // -------------------------------------------------------------------------------------------
  // Uploads: pod status and events, durable until answered

  /** edged's pod status: one `podpatch` per pod (by uid), the newest replacing any not yet sent. */
  private podStatusChanged(pod: PodIdentity, status: PodStatus): void {
    const resource = `${pod.namespace}/podpatch/${pod.name}`;
    // The kubelet's status patch names the pod's uid, so it cannot land on a newer pod of the name.
    const patch = JSON.stringify({ metadata: { uid: pod.uid }, status });
    // Keyed by uid: a pod deleted and created again under the same name is two pods, and the old
    // one's last status must not replace the new one's.
    this.queueUpload(`podpatch/${pod.uid}`, resource, 'patch', patch);
  }

  /** edged's events, as core/v1 Events about the pod (`<ns>/event/<name>`, `insert`). */
  private podEvent(pod: PodIdentity, event: PodEvent): void {
    const now = this.opts.clock.now();
    const name = `${pod.name}.${now.toString(16)}${(this.eventSeq++).toString(16)}`;
    const resource = `${pod.namespace}/event/${name}`;
    const at = rfc3339(now);
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: pod.namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        name: pod.name,
        namespace: pod.namespace,
        uid: pod.uid,
      },
      type: event.type,
      reason: event.reason,
      message: event.message,
      source: { component: 'kubelet', host: this.nodeName },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    this.queueUpload(resource, resource, 'insert', JSON.stringify(body));
  }

  /** The kubelet's final delete of a terminated pod: the uid as the content is its precondition (§4.2). */
  private podTerminated(pod: PodIdentity): void {
    const resource = `${pod.namespace}/pod/${pod.name}`;
    this.queueUpload(`poddelete/${pod.uid}`, resource, 'delete', JSON.stringify(pod.uid));
  }

  private queueUpload(
    key: string,
    resource: string,
    operation: 'patch' | 'insert' | 'delete',
    content: string,
  ): void {
    try {
      this.uploads?.put(key, resource, operation, content);
    } catch (err) {
      this.log.error('upload not queued', { resource, error: errorMessage(err) });
      return;
    }
    this.flushUploads();
  }

  /** Sends every queued upload not already on its way; each leaves the queue when answered. */
  private flushUploads(): void {
    const queue = this.uploads;
    if (queue === undefined || this.stopped || !this.connected()) return;
    for (const u of queue.list()) {
      if (this.uploadsInFlight.has(u.key)) continue; // a newer one goes when this is answered
      this.uploadsInFlight.set(u.key, u.seq);
      const done = (): void => {
        if (this.uploadsInFlight.get(u.key) === u.seq) this.uploadsInFlight.delete(u.key);
      };
      // A patch travels as the JSON string (§4.3); an event as the object, a delete's uid as a string.
      const content: unknown = u.operation === 'patch' ? u.content : (JSON.parse(u.content) as unknown);
      this.request(u.operation as 'patch' | 'insert' | 'delete', u.resource, content, {
        onOk: () => {
          queue.remove(u.key, u.seq);
          done();
          this.flushUploads(); // what was queued for this key meanwhile
        },
        onFailed: (final) => {
          // A refusal or an answer such as NotFound will not change: drop it rather than resend forever.
          if (final) queue.remove(u.key, u.seq);
          done();
        },
      });
    }
  }

  /** MetaManager's handling of a downstream insert/update/delete (§3.2, §5.1). */
  private storeAndAck(m: Message, op: 'insert' | 'update' | 'delete'): void {
    const store = this.store;
    const resource = m.route.resource ?? '';
    if (store === undefined) return;
    try {
      const ref = parseEdgeResource(resource, op);
      if (ref.kind !== 'object')
        throw new InvalidInputError(`resource "${resource}" does not name one object`);
      if (op === 'delete') {
        const uid = (m.content as { metadata?: { uid?: unknown } } | null)?.metadata?.uid;
        if (ref.resourceType === 'pod') {
          // A pod delete removes the row only for the same UID, and its podpatch row (§5.1).
          const stored = store.get(resource);
          const storedUid = stored ? podUid(stored.value) : undefined;
          if (store.delete(resource, typeof uid === 'string' ? { uid } : {})) {
            store.delete(`${ref.namespace}/podpatch/${ref.name}`);
            const gone = typeof uid === 'string' ? uid : storedUid;
            if (gone !== undefined) this.edged?.podDeleted(gone);
          }
        } else {
          store.delete(resource);
          this.mappers?.changed(ref.resourceType, resource, true);
        }
      } else {
        store.upsert(resource, ref.resourceType, contentAsString(m), m.header.resourceversion);
        if (ref.resourceType === 'pod') this.edged?.podChanged(contentAsJson(m));
        this.mappers?.changed(ref.resourceType, resource, false);
      }
    } catch (err) {
      // No ACK: cloudhub resends within 5 s (§3.2).
      this.log.error('downstream message not stored', { resource, operation: op, error: errorMessage(err) });
      return;
    }
    try {
      this.hub?.send(this.builder.newResponse(m, MESSAGE_OK));
    } catch (err) {
      this.log.warn('ACK not sent', { resource, error: errorMessage(err) });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Objects

  private readyCondition(): Record<string, string> {
    return {
      type: 'Ready',
      status: 'True',
      lastHeartbeatTime: rfc3339(this.opts.clock.now()),
      lastTransitionTime: rfc3339(this.readySince),
      reason: 'EdgeReady',
      message: 'edge is posting ready status',
    };
  }

  private statusPatch(): unknown {
    return { status: { conditions: [this.readyCondition()] } };
  }

  /** The v1 Node edged registers (§4.1: the edge labels; §6). */
  nodeObject(): Record<string, unknown> {
    const goos = goOs();
    const goarch = goArch();
    const resources = {
      cpu: String(availableParallelism()),
      memory: `${Math.floor(totalmem() / 1024)}Ki`,
      pods: String(DEFAULT_MAX_PODS),
    };
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.nodeName,
        labels: {
          ...this.opts.labels,
          'node-role.kubernetes.io/edge': '',
          'node-role.kubernetes.io/agent': '',
          'kubernetes.io/hostname': this.nodeName,
          'kubernetes.io/os': goos,
          'kubernetes.io/arch': goarch,
        },
      },
      spec: {},
      status: {
        conditions: [this.readyCondition()],
        addresses: [
          { type: 'InternalIP', address: this.opts.nodeIP ?? internalIP() },
          { type: 'Hostname', address: this.nodeName },
        ],
        nodeInfo: {
          machineID: '',
          systemUUID: '',
          bootID: '',
          kernelVersion: release(),
          osImage: this.osImage,
          containerRuntimeVersion: EDGEPROOF_RUNTIME_VERSION,
          kubeletVersion: EDGEPROOF_KUBELET_VERSION,
          kubeProxyVersion: '',
          operatingSystem: goos,
          architecture: goarch,
        },
        capacity: resources,
        allocatable: { ...resources },
      },
    };
  }

  /** The node Lease (coordination.k8s.io/v1; §6). */
  private leaseObject(): Record<string, unknown> {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.nodeName,
        namespace: NODE_LEASE_NAMESPACE,
        // The kubelet makes the Node own its lease, so deleting the node deletes the lease.
        ...(this.nodeUid !== undefined
          ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.nodeUid }] }
          : {}),
      },
      spec: {
        holderIdentity: this.nodeName,
        leaseDurationSeconds: this.leaseDurationSeconds,
        renewTime: microTime(this.opts.clock.now()),
      },
    };
  }
}

/** metav1.Time: RFC 3339, whole seconds, UTC. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** metav1.MicroTime: RFC 3339 with six fraction digits, UTC (`2006-01-02T15:04:05.000000Z07:00`). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** PRETTY_NAME from /etc/os-release, as the kubelet's `nodeInfo.osImage`; undefined where there is none. */
function readOsImage(): string | undefined {
  try {
    const m = /^PRETTY_NAME=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1]?.trim().replace(/^["']|["']$/g, '') || undefined;
  } catch {
    return undefined;
  }
}

/** Go's GOOS for this platform. */
function goOs(): string {
  const p = platform();
  return p === 'win32' ? 'windows' : p;
}

/** Go's GOARCH for this CPU. */
function goArch(): string {
  const a = arch();
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le' };
  return map[a] ?? a;
}

function internalIP(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function positive(n: number, name: string): number {
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidInputError(`${name} must be a positive number, got ${n}`);
  return n;
}

function podUid(json: string): string | undefined {
  try {
    const uid = (JSON.parse(json) as { metadata?: { uid?: unknown } }).metadata?.uid;
    return typeof uid === 'string' ? uid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a Go StatusError in an ObjectResp `Err` (`{"ErrStatus":{code,…}}`) is one a retry cannot
 * fix: a client error other than 408 Timeout, 409 Conflict and 429 TooManyRequests.
 */
function isFinalApiError(err: unknown): boolean {
  const code = (err as { ErrStatus?: { code?: unknown } } | null)?.ErrStatus?.code;
  return typeof code === 'number' && code >= 400 && code < 500 && ![408, 409, 429].includes(code);
}

/** A kubeconfig for kubectl on the edge, pointing at MetaServer (plain HTTP, loopback, no auth). */
function writeEdgeKubeconfig(path: string, server: string, nodeName: string): void {
  const text = [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: ${nodeName}, cluster: {server: "${server}"}}]`,
    `users: [{name: ${nodeName}, user: {}}]`,
    `contexts: [{name: ${nodeName}, context: {cluster: ${nodeName}, user: ${nodeName}}}]`,
    `current-context: ${nodeName}`,
    '',
  ].join('\n');
  writeFileSync(path, text, { mode: 0o600 });
}
