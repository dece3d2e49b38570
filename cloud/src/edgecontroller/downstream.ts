/**
 * EdgeController's downstream half (kubeedge-protocol.md §4.1) with cloudhub's reliable delivery
 * (§3.1–3.2) and SyncController's resync (§3.3): every edge node gets its pods, the ConfigMaps and
 * Secrets they reference, and its Node object, and gets them again, or their deletes, after being
 * away.
 *
 * Level-based (ARCHITECTURE.md §4): informer events (edge nodes, pods, configmaps, secrets) only
 * enqueue node names; a node's reconcile reads the caches and the node's ObjectSync records and
 * hands the node's message pool what the node lacks: objects whose resourceVersion is greater than
 * the acknowledged one (or never acknowledged), and `delete`s for records whose object is gone,
 * has another UID, or no longer belongs to the node (`downstream-desired.ts`,
 * `../synccontroller/sync-plan.ts`). A node that connects is reconciled at once (ARCHITECTURE.md §5:
 * resync starts immediately, not on KubeEdge's 5 s SyncController poll), so changes and deletes
 * made while it was away reach it from the same code path as live changes. An ACK updates the
 * record (`../synccontroller/object-sync-store.ts`); the pool resends until it comes
 * (`../cloudhub/node-message-pool.ts`).
 *
 * Sessions: cloudcore calls `nodeConnected` / `nodeDisconnected` from cloudhub's events, and offers
 * every upstream message to `handleUpstream`, which takes the ACKs of what it sent. Each connection
 * gets a new pool (§3.3); an ACK that arrives on a later connection for a message of an earlier one
 * is not matched, and the resync sends that object again (the edge stores and ACKs it again).
 *
 * A Node that disappears gets a NoAck `delete` and its session closed, as KubeEdge does (§4.1), and
 * its records are removed (§3.3); records of nodes gone while cloudcore was down are removed at
 * start. Only records of the kinds sent here (Pod, ConfigMap, Secret, Node) are looked at, so
 * records written for other kinds (devices, DynamicController objects) are left alone.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1ConfigMap,
  type V1Node,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import {
  WorkQueue,
  errorMessage,
  messageBuilder,
  parseCloudResource,
  isClusterScoped,
  type Clock,
  type Logger,
  type Message,
  type MessageBuilder,
  type ReconcileResult,
} from '@edgeproof/core';
import { DEVICES_GROUP } from '@edgeproof/crds';
import { apiStatusCode, kubeApiError } from '../cloudhub/kube-errors.ts';
import { NodeMessagePool } from '../cloudhub/node-message-pool.ts';
import { KeptInformer } from '../kube-informer.ts';
import {
  ObjectSyncStore,
  planNodeSync,
  type ObjectSyncRecord,
  type SyncAction,
  type SyncedObjectRef,
} from '../synccontroller/index.ts';
import {
  DOWNSTREAM_API_VERSION,
  deletionStub,
  desiredObjects,
  downstreamApiVersion,
  downstreamOperation,
  downstreamResource,
  isDownstreamKind,
  wireObject,
  type DesiredObject,
  type DeviceModelObject,
  type DeviceObject,
} from './downstream-desired.ts';
import { PodPlacementIndex, type ReferencedKind } from './downstream-index.ts';
import { EDGE_NODE_ROLE_LABEL } from './upstream.ts';

/** How long a reconcile waits for the caches to fill before looking again. */
const CACHE_SYNC_WAIT_MS = 200;

/** What the controller needs of a cloudhub session (`cloudhub/node-session.ts` `NodeSession`). */
export interface DownstreamSession {
  readonly nodeId: string;
  /** Writes one message as given (the controller's pool has trimmed the `node/<id>/` prefix, §1.3). */
  send(message: Message): Promise<void>;
  /** Ends the session; called when the node's Node object is deleted (§4.1). */
  close?(reason?: string): void;
}

export interface DownstreamControllerOptions {
  kubeConfig: KubeConfig;
  clock: Clock;
  logger: Logger;
  /** Pool tuning (tests): see `NodeMessagePoolOptions`. Defaults are §3.2's 5 s × 5. */
  resendIntervalMs?: number;
  maxSends?: number;
  maxInFlight?: number;
}

/** See the module comment. Constructing does no I/O; `start()` loads, watches and reconciles. */
export class DownstreamController {
  private readonly options: DownstreamControllerOptions;
  private readonly logger: Logger;
  private readonly core: CoreV1Api;
  private readonly builder: MessageBuilder;
  private readonly store: ObjectSyncStore;
  /** The edge nodes (label `node-role.kubernetes.io/edge`); cloudcore's node lifecycle shares it. */
  readonly nodes: KeptInformer<V1Node>;
  private readonly pods: KeptInformer<V1Pod>;
  private readonly configMaps: KeptInformer<V1ConfigMap>;
  private readonly secrets: KeptInformer<V1Secret>;
  private readonly devices: KeptInformer<DeviceObject>;
  private readonly deviceModels: KeptInformer<DeviceModelObject>;
  /** The node each Device was last seen bound to, so a move reconciles the old node too. */
  private readonly deviceNodes = new Map<string, string>();
  private readonly index = new PodPlacementIndex();
  private readonly queue: WorkQueue;
  private readonly sessions = new Map<string, DownstreamSession>();
  private readonly pools = new Map<string, NodeMessagePool>();
  /**
   * Edge nodes whose deletion the watch reported, until handled. A connected node that is merely
   * not registered yet (edgecore connects, then registers) is not in here, and keeps its session.
   */
  private readonly deletedNodes = new Map<string, V1Node>();
  /** The UIDs each connected node should hold, as of its last reconcile. */
  private readonly desiredUids = new Map<string, Set<string>>();
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(options: DownstreamControllerOptions) {
    this.options = options;
    const { kubeConfig, clock, logger } = options;
    this.logger = logger;
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.builder = messageBuilder({ clock });
    this.store = new ObjectSyncStore({ kubeConfig, clock, logger: logger.child('objectsync') });
    this.queue = new WorkQueue({ clock, logger });
    const core = this.core;
    const informer = <T extends V1Node | V1Pod | V1ConfigMap | V1Secret | DeviceObject | DeviceModelObject>(
      what: string,
      path: string,
      list: () => Promise<{ items: T[] }>,
      labelSelector?: string,
    ): KeptInformer<T> =>
      new KeptInformer<T>({
        kubeConfig,
        path,
        list,
        clock,
        logger,
        what,
        ...(labelSelector !== undefined ? { labelSelector } : {}),
      });
    this.nodes = informer(
      'edge nodes',
      '/api/v1/nodes',
      () => core.listNode({ labelSelector: EDGE_NODE_ROLE_LABEL }),
      EDGE_NODE_ROLE_LABEL,
    );
    this.pods = informer('pods', '/api/v1/pods', () => core.listPodForAllNamespaces());
    this.configMaps = informer('configmaps', '/api/v1/configmaps', () =>
      core.listConfigMapForAllNamespaces(),
    );
    this.secrets = informer('secrets', '/api/v1/secrets', () => core.listSecretForAllNamespaces());
    // Devices and their models (§7.4): the devices.kubeedge.io CRDs must be installed, as
    // cloudcore requires of KubeEdge's CRDs.
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const listDevices = (plural: string) => async () =>
      (await custom.listClusterCustomObject({ group: DEVICES_GROUP, version: 'v1beta1', plural })) as {
        items: never[];
      };
    this.devices = informer<DeviceObject>(
      'devices',
      `/apis/${DEVICES_GROUP}/v1beta1/devices`,
      listDevices('devices'),
    );
    this.deviceModels = informer<DeviceModelObject>(
      'devicemodels',
      `/apis/${DEVICES_GROUP}/v1beta1/devicemodels`,
      listDevices('devicemodels'),
    );

    const onNode = (n: V1Node): void => {
      const name = n.metadata?.name;
      if (name) this.deletedNodes.delete(name);
      this.enqueue(name);
    };
    this.nodes.informer.on('add', this.guard('node', onNode));
    this.nodes.informer.on('update', this.guard('node', onNode));
    this.nodes.informer.on(
      'delete',
      this.guard('node', (n: V1Node) => {
        const name = n.metadata?.name;
        if (name) this.deletedNodes.set(name, n);
        this.enqueue(name);
      }),
    );
    const onPod = (p: V1Pod): void => this.index.upsert(p).forEach((n) => this.enqueue(n));
    this.pods.informer.on('add', this.guard('pod', onPod));
    this.pods.informer.on('update', this.guard('pod', onPod));
    this.pods.informer.on(
      'delete',
      this.guard('pod', (p: V1Pod) => this.index.remove(p).forEach((n) => this.enqueue(n))),
    );
    const referenced =
      (kind: ReferencedKind) =>
      (o: V1ConfigMap | V1Secret): void => {
        const namespace = o.metadata?.namespace ?? '';
        const name = o.metadata?.name ?? '';
        this.index.nodesReferencing(kind, namespace, name).forEach((n) => this.enqueue(n));
      };
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.configMaps.informer.on(verb, this.guard('configmap', referenced('ConfigMap')));
      this.secrets.informer.on(verb, this.guard('secret', referenced('Secret')));
      this.devices.informer.on(
        verb,
        this.guard('device', (d: DeviceObject) => this.deviceChanged(d, verb === 'delete')),
      );
      this.deviceModels.informer.on(
        verb,
        this.guard('devicemodel', (m: DeviceModelObject) => this.deviceModelChanged(m)),
      );
    }
  }

  private deviceChanged(device: DeviceObject, deleted: boolean): void {
    const key = `${device.metadata?.namespace}/${device.metadata?.name}`;
    this.enqueue(this.deviceNodes.get(key));
    const node = device.spec?.nodeName;
    if (deleted || !node) this.deviceNodes.delete(key);
    else this.deviceNodes.set(key, node);
    this.enqueue(node);
  }

  private deviceModelChanged(model: DeviceModelObject): void {
    for (const device of this.devices.informer.list(model.metadata?.namespace)) {
      if (device.spec?.deviceModelRef?.name === model.metadata?.name) this.enqueue(device.spec?.nodeName);
    }
  }

  /**
   * Loads the ObjectSync records, starts the watches and the reconcile loop. Throws
   * `ObjectSyncCrdMissingError` when the reliablesyncs CRDs are not installed, a retriable
   * `EKUBEAPI` error when the API server cannot be read.
   */
  async start(): Promise<void> {
    if (this.abort !== undefined || this.stopped) return;
    await this.store.load();
    await Promise.all([
      this.nodes.start(),
      this.pods.start(),
      this.configMaps.start(),
      this.secrets.start(),
      this.devices.start(),
      this.deviceModels.start(),
    ]);
    // §3.3: records of nodes deleted while cloudcore was down are removed; the reconcile of a node
    // that is not an edge node in the cache checks and collects them.
    for (const node of this.store.nodeNames()) this.queue.add(node);
    this.abort = new AbortController();
    this.running = this.queue.run(this.abort.signal, (node) => this.reconcile(node));
    this.logger.info('downstream started', { nodesWithRecords: this.store.nodeNames().length });
  }

  /** Stops the loop, the watches and every pool, and waits for record writes in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.running;
    await Promise.all([
      this.nodes.stop(),
      this.pods.stop(),
      this.configMaps.stop(),
      this.secrets.stop(),
      this.devices.stop(),
      this.deviceModels.stop(),
    ]);
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
    this.sessions.clear();
    await this.store.stop();
  }

  /** True once the records are loaded and every cache holds the cluster's state. */
  synced(): boolean {
    return (
      this.store.loaded() &&
      this.nodes.synced() &&
      this.pods.synced() &&
      this.configMaps.synced() &&
      this.secrets.synced() &&
      this.devices.synced() &&
      this.deviceModels.synced()
    );
  }

  /** Resolves once every ObjectSync change so far is written (tests, shutdown). */
  flushed(): Promise<void> {
    return this.store.flushed();
  }

  /**
   * cloudhub `onConnect`: the node gets a new message pool (§3.3) and is reconciled now, so what
   * changed while it was away is on its way at once. Never throws.
   */
  nodeConnected(session: DownstreamSession): void {
    if (this.stopped) return;
    const nodeId = session.nodeId;
    this.pools.get(nodeId)?.close();
    this.sessions.set(nodeId, session);
    this.pools.set(
      nodeId,
      new NodeMessagePool({
        nodeId,
        transport: session,
        clock: this.options.clock,
        logger: this.logger,
        ...(this.options.resendIntervalMs !== undefined
          ? { resendIntervalMs: this.options.resendIntervalMs }
          : {}),
        ...(this.options.maxSends !== undefined ? { maxSends: this.options.maxSends } : {}),
        ...(this.options.maxInFlight !== undefined ? { maxInFlight: this.options.maxInFlight } : {}),
      }),
    );
    this.queue.add(nodeId);
  }

  /**
   * cloudhub `onDisconnect`: stops sending to the node; what it lacks is worked out again when it
   * connects. With `session`, a disconnect of a session that a newer one already replaced is
   * ignored. Never throws.
   */
  nodeDisconnected(nodeId: string, session?: DownstreamSession): void {
    if (session !== undefined && this.sessions.get(nodeId) !== session) return;
    this.sessions.delete(nodeId);
    this.pools.get(nodeId)?.close();
    this.pools.delete(nodeId);
    this.desiredUids.delete(nodeId);
  }

  /**
   * Offers an upstream message (resource `node/<id>/…`) from `nodeId`. Returns true when it was the
   * edge's answer to a message this controller sent — a `response` whose parent_msg_id is the sent
   * id, the ACK (§3.2), or an `error` reply, which is only logged and the message resent — and so
   * needs no further routing. Never throws.
   */
  handleUpstream(nodeId: string, message: Message): boolean {
    const operation = message.route.operation;
    const parent = message.header.parent_msg_id;
    if (!parent || (operation !== 'response' && operation !== 'error')) return false;
    const pool = this.pools.get(nodeId);
    if (pool === undefined || !pool.sent(parent)) return false;
    if (operation === 'error') {
      this.logger.warn('edge refused a downstream message; it will be resent', {
        node: nodeId,
        parent,
        resource: message.route.resource,
        error: typeof message.content === 'string' ? message.content : JSON.stringify(message.content),
      });
      return true;
    }
    const acked = pool.acknowledge(parent);
    if (acked === undefined) return false;
    try {
      this.recordAck(nodeId, acked.message);
    } catch (err) {
      this.logger.error('cannot record an ACK', { node: nodeId, parent, error: errorMessage(err) });
    }
    return true;
  }

  /** §3.2 "On ACK": the record takes the acknowledged version, or goes with an acknowledged delete. */
  private recordAck(nodeId: string, sent: Message): void {
    const ref = syncedRef(sent);
    if (ref === undefined) return;
    const isDelete = sent.route.operation === 'delete';
    if (isDelete) {
      this.store.forget(nodeId, ref.uid);
    } else {
      const rv = sent.header.resourceversion;
      if (rv) this.store.acknowledged(nodeId, ref, rv);
    }
    // What the node should hold may have moved on while the message was on its way (an object
    // acknowledged after it stopped belonging to the node, or deleted from the edge while it
    // belongs to it again): look again.
    const desired = this.desiredUids.get(nodeId)?.has(ref.uid) ?? false;
    if (isDelete === desired) this.queue.add(nodeId);
  }

  /** One node: send what it lacks, delete what it should not have (see the module comment). */
  private async reconcile(nodeName: string): Promise<ReconcileResult> {
    if (!this.synced()) return { requeueAfterMs: CACHE_SYNC_WAIT_MS };
    const node = this.nodes.informer.get(nodeName);
    if (node === undefined) {
      await this.nodeGone(nodeName);
      return;
    }
    const pool = this.pools.get(nodeName);
    if (pool === undefined || pool.isClosed()) return; // the next connect reconciles it
    const pods: V1Pod[] = [];
    for (const { namespace, name } of this.index.podsOn(nodeName)) {
      const pod = this.pods.informer.get(name, namespace);
      if (pod !== undefined) pods.push(pod);
    }
    const desired = desiredObjects({
      node,
      pods,
      configMap: (namespace, name) => this.configMaps.informer.get(name, namespace),
      secret: (namespace, name) => this.secrets.informer.get(name, namespace),
      devices: [...this.deviceNodes]
        .filter(([, node]) => node === nodeName)
        .map(([key]) => {
          const [namespace = '', name = ''] = key.split('/');
          return this.devices.informer.get(name, namespace);
        })
        .filter((d): d is DeviceObject => d !== undefined),
      deviceModel: (namespace, name) => this.deviceModels.informer.get(name, namespace),
    });
    this.desiredUids.set(nodeName, new Set(desired.map((d) => d.uid)));
    const records = this.store.records(nodeName).filter((r) => isDownstreamKind(r.kind));
    const actions = planNodeSync(desired, records);
    for (const action of actions) this.apply(nodeName, pool, action);
    if (actions.length > 0) {
      this.logger.debug('node reconciled', {
        node: nodeName,
        desired: desired.length,
        actions: actions.length,
      });
    }
  }

  private apply(nodeName: string, pool: NodeMessagePool, action: SyncAction<DesiredObject>): void {
    switch (action.action) {
      case 'forget':
        this.store.forget(nodeName, action.record.uid);
        return;
      case 'delete':
        pool.enqueue(this.deleteMessage(nodeName, action.record));
        return;
      case 'send': {
        const d = action.object;
        const operation = downstreamOperation(d.kind, action.firstTime, d.deleting);
        const waiting = pool.pending(d.uid);
        if (waiting?.route.operation === operation && waiting.header.resourceversion === d.resourceVersion) {
          return; // already on its way; skip building the content again
        }
        // §3.1 rule 4: record the object before its first send, so it is known to be possibly at
        // the edge even if the ACK is never seen.
        if (action.firstTime) this.store.intend(nodeName, refOf(d));
        pool.enqueue(
          this.builder.newMessage({
            source: 'edgecontroller',
            group: 'resource',
            operation,
            resource: downstreamResource(nodeName, d.kind, d.namespace, d.name),
            content: wireObject(d),
            resourceVersion: d.resourceVersion,
          }),
        );
        return;
      }
    }
  }

  private deleteMessage(nodeName: string, record: ObjectSyncRecord): Message {
    return this.builder.newMessage({
      source: 'edgecontroller',
      group: 'resource',
      operation: 'delete',
      resource: downstreamResource(nodeName, record.kind, record.namespace, record.name),
      content: deletionStub(record),
      ...(record.resourceVersion ? { resourceVersion: record.resourceVersion } : {}),
    });
  }

  /**
   * `nodeName` is not an edge node in the cache. When the Node is really gone (not relabelled: the
   * informer lists only edge nodes, so losing the label looks like a delete), its records are
   * removed (§3.3), and if the watch saw it deleted while the node is connected, the node gets a
   * NoAck `delete` of its Node and its session ends (§4.1). A node that has connected but not
   * registered yet has neither, and is left alone.
   */
  private async nodeGone(nodeName: string): Promise<void> {
    const records = this.store.records(nodeName);
    const deleted = this.deletedNodes.get(nodeName);
    const pool = this.pools.get(nodeName);
    const tellNode = deleted !== undefined && pool !== undefined && !pool.isClosed();
    if (records.length === 0 && !tellNode) {
      this.deletedNodes.delete(nodeName);
      return;
    }
    try {
      await this.core.readNode({ name: nodeName });
      this.deletedNodes.delete(nodeName);
      return; // it exists, it is just not an edge node (any more): leave it
    } catch (err) {
      if (apiStatusCode(err) !== 404) throw kubeApiError(`read node ${nodeName}`, err);
    }
    this.deletedNodes.delete(nodeName);
    if (tellNode) {
      pool.enqueue(
        this.deleteMessage(nodeName, {
          nodeName,
          uid: deleted.metadata?.uid ?? '',
          namespace: undefined,
          apiVersion: DOWNSTREAM_API_VERSION,
          kind: 'Node',
          name: nodeName,
          resourceVersion: deleted.metadata?.resourceVersion,
        }),
      );
      this.sessions.get(nodeName)?.close?.(`node ${nodeName} was deleted`);
    }
    if (records.length > 0) {
      this.logger.info('node is gone; removing its object syncs', { node: nodeName, count: records.length });
      this.store.forgetNode(nodeName);
    }
    this.desiredUids.delete(nodeName);
  }

  private enqueue(node: string | undefined): void {
    if (node) this.queue.add(node);
  }

  /** Informer callbacks must not throw (CONVENTIONS.md); a failure is logged. */
  private guard<T>(what: string, fn: (obj: T) => void): (obj: T) => void {
    return (obj: T) => {
      try {
        fn(obj);
      } catch (err) {
        this.logger.error(`${what} event handler failed`, { error: errorMessage(err) });
      }
    };
  }
}

function refOf(d: DesiredObject): SyncedObjectRef {
  return {
    uid: d.uid,
    namespace: d.namespace,
    apiVersion: downstreamApiVersion(d.kind),
    kind: d.kind,
    name: d.name,
  };
}

/** The object a sent message was about: resource for namespace and name, content for the rest. */
function syncedRef(message: Message): SyncedObjectRef | undefined {
  const ref = parseCloudResource(message.route.resource ?? '', message.route.operation);
  if (ref.kind !== 'object') return undefined;
  const content = message.content as { apiVersion?: unknown; kind?: unknown; metadata?: { uid?: unknown } };
  const uid = content?.metadata?.uid;
  const kind = content?.kind;
  if (typeof uid !== 'string' || uid === '' || typeof kind !== 'string') return undefined;
  return {
    uid,
    namespace: isClusterScoped(ref.namespace) ? undefined : ref.namespace,
    apiVersion: typeof content.apiVersion === 'string' ? content.apiVersion : DOWNSTREAM_API_VERSION,
    kind,
    name: ref.name,
  };
}
