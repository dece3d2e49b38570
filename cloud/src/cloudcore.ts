/**
 * cloudcore (ARCHITECTURE.md §2): the cloud side of KubeEdge, against any cluster reached through
 * a kubeconfig (the embedded API server or a real one). This version runs cloudhub: its credential
 * store, the certificate server (:10002) and the WebSocket hub (:10000) that edge nodes connect
 * to — and EdgeController: upstream node registration, node status, leases, pod status and events
 * (`edgecontroller/upstream.ts`, kubeedge-protocol.md §4.2); downstream pods, their configmaps and
 * secrets and the node, with ACKs, ObjectSyncs and resync on reconnect
 * (`edgecontroller/downstream.ts`, §3–4.1); and the node lifecycle that marks silent edge nodes
 * Unknown after the grace period (`edgecontroller/node-lifecycle.ts`); and DeviceController:
 * Devices and DeviceModels down with the pods' reliable delivery, membership and desired values
 * down, twin reports and device states up into DeviceStatus (`devicecontroller/`, §7.4).
 * Constructor does no I/O; start in dependency order, stop in reverse (CONVENTIONS.md "Lifecycle").
 */
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ConcurrencyLimit,
  JobDroppedError,
  errorMessage,
  parseCloudResource,
  type Clock,
  type Logger,
  type Message,
} from '@edgeproof/core';
import {
  CertServer,
  CloudSecrets,
  DEFAULT_CERT_SERVER_PORT,
  HubServer,
  type HubEvents,
  type NodeSession,
} from './cloudhub/index.ts';
import { DownstreamController } from './edgecontroller/downstream.ts';
import { NodeLifecycleController } from './edgecontroller/node-lifecycle.ts';
import { UpstreamController } from './edgecontroller/upstream.ts';
import { DeviceController } from './devicecontroller/devicecontroller.ts';
import { PooledKubeConfig } from './kube-connection-pool.ts';

/** Upstream resource types EdgeController's upstream half carries out (§4.2). */
const UPSTREAM_NODE_TYPES: ReadonlySet<string> = new Set([
  'node',
  'nodepatch',
  'lease',
  'podpatch',
  'pod',
  'event',
  'configmap',
  'secret',
  'serviceaccounttoken',
]);
/**
 * Upstream messages handled at once. Above the API connection pool's 32 so the pool stays busy,
 * low enough that a reconnect storm of thousands of nodes does not hold thousands of requests in
 * memory together (`npm run bench:cloudhub` measures it).
 */
const UPSTREAM_CONCURRENCY = 64;

export type CloudCoreOptions = {
  kubeConfig: KubeConfig;
  /** Addresses edges dial (IPs or DNS names); the serving certificate covers them all. */
  advertiseAddresses: string[];
  /** Port of the certificate server; KubeEdge's default 10002 (kubeedge-protocol.md §2.1). */
  certPort?: number;
  /** Port of the WebSocket hub; KubeEdge's default 10000 (kubeedge-protocol.md §2.1). */
  hubPort?: number;
  /** Most connected nodes; default KubeEdge's 500 (`cloudHub.nodeLimit`). */
  nodeLimit?: number;
  /** Node connections and upstream messages, for the controllers and tests. */
  hubEvents?: HubEvents;
  /** Address to listen on. */
  host?: string;
  /** How long an edge node may stay silent before it is `Ready=Unknown`; default 40 s. */
  nodeGracePeriodMs?: number;
  /** How often node heartbeats are checked; default 5 s, or a quarter of a shorter grace period. */
  nodeMonitorPeriodMs?: number;
  clock: Clock;
  logger: Logger;
};

export class CloudCore {
  private readonly options: CloudCoreOptions;
  private readonly kubeConfig: PooledKubeConfig;
  private readonly secrets: CloudSecrets;
  private readonly certServer: CertServer;
  private readonly hub: HubServer;
  private readonly upstream: UpstreamController;
  private readonly devices: DeviceController;
  private readonly lifecycle: NodeLifecycleController;
  private readonly downstream: DownstreamController;
  /** Upstream messages carried out at once; the rest wait their turn. `stop()` waits for those running. */
  private readonly upstreamLimit = new ConcurrencyLimit(UPSTREAM_CONCURRENCY);

  constructor(options: CloudCoreOptions) {
    this.options = options;
    const { clock, logger } = options;
    // One connection pool for every API call cloudcore makes (see kube-connection-pool.ts).
    const kubeConfig = PooledKubeConfig.from(options.kubeConfig);
    this.kubeConfig = kubeConfig;
    this.downstream = new DownstreamController({ kubeConfig, clock, logger: logger.child('downstream') });
    this.secrets = new CloudSecrets({
      kubeConfig,
      advertiseAddresses: options.advertiseAddresses,
      clock,
      logger,
    });
    this.certServer = new CertServer({
      credentials: this.secrets,
      kubeConfig,
      clock,
      logger,
      port: options.certPort ?? DEFAULT_CERT_SERVER_PORT,
      ...(options.host ? { host: options.host } : {}),
    });
    this.hub = new HubServer({
      credentials: this.secrets,
      clock,
      logger,
      ...(options.hubPort !== undefined ? { port: options.hubPort } : {}),
      ...(options.nodeLimit !== undefined ? { nodeLimit: options.nodeLimit } : {}),
      events: this.hubEvents(options.hubEvents ?? {}),
      ...(options.host ? { host: options.host } : {}),
    });
    this.upstream = new UpstreamController({
      kubeConfig,
      clock,
      logger: logger.child('edgecontroller'),
      ...(options.advertiseAddresses[0] ? { cloudcoreAddress: options.advertiseAddresses[0] } : {}),
    });
    this.devices = new DeviceController({
      kubeConfig,
      clock,
      logger: logger.child('devicecontroller'),
      session: (nodeId) => this.hub.session(nodeId),
    });
    const grace = options.nodeGracePeriodMs;
    this.lifecycle = new NodeLifecycleController({
      kubeConfig,
      clock,
      logger: logger.child('nodelifecycle'),
      // Started before the lifecycle and stopped after it (start() below).
      nodes: this.downstream.nodes,
      ...(grace !== undefined ? { gracePeriodMs: grace } : {}),
      ...(options.nodeMonitorPeriodMs !== undefined
        ? { monitorPeriodMs: options.nodeMonitorPeriodMs }
        : grace !== undefined
          ? { monitorPeriodMs: Math.min(5_000, Math.max(100, Math.floor(grace / 4))) }
          : {}),
    });
  }

  /** The hub's events: upstream messages routed to the controllers, then the caller's own. */
  private hubEvents(extra: HubEvents): HubEvents {
    return {
      ...extra,
      onConnect: (session) => {
        this.downstream.nodeConnected(session);
        extra.onConnect?.(session);
      },
      onDisconnect: (nodeId, reason, session) => {
        this.downstream.nodeDisconnected(nodeId, session);
        extra.onDisconnect?.(nodeId, reason, session);
      },
      onMessage: (session, message) => {
        // The edge's ACKs of downstream messages (§3.2) end at the downstream controller.
        if (!this.downstream.handleUpstream(session.nodeId, message)) this.route(session, message);
        extra.onMessage?.(session, message);
      },
    };
  }

  /** Routes one upstream message by its resource type (cloudhub's dispatcher, §4.2). */
  private route(session: NodeSession, message: Message): void {
    if (DeviceController.handles(message)) {
      this.upstreamLimit
        .run(() => this.devices.handle(session, message))
        .catch((err: unknown) => this.upstreamFailed(session, err));
      return;
    }
    const type = resourceTypeOf(message);
    if (type === undefined || !UPSTREAM_NODE_TYPES.has(type)) {
      this.options.logger.debug('upstream message not routed', {
        node: session.nodeId,
        route: message.route,
      });
      return;
    }
    this.upstreamLimit
      .run(() => this.upstream.handle(session, message))
      .catch((err: unknown) => this.upstreamFailed(session, err));
  }

  /** The handlers never throw; what reaches here is a bug, or a message dropped at stop. */
  private upstreamFailed(session: NodeSession, err: unknown): void {
    if (err instanceof JobDroppedError) return; // counted by stop()
    this.options.logger.error('upstream handler failed', { node: session.nodeId, error: errorMessage(err) });
  }

  /**
   * Starts the parts in dependency order: credentials; downstream, before the hub, so a node that
   * connects finds its ObjectSync records loaded; the certificate server; the hub; the node
   * lifecycle. If one fails, those already started are stopped again, in reverse.
   */
  async start(): Promise<void> {
    const parts: Array<{ start: () => Promise<void>; stop: () => Promise<void> }> = [
      this.secrets,
      this.downstream,
      this.devices,
      this.certServer,
      this.hub,
      this.lifecycle,
    ];
    const started: Array<() => Promise<void>> = [];
    try {
      for (const part of parts) {
        await part.start();
        started.unshift(() => part.stop());
      }
    } catch (err) {
      for (const stop of started) await stop();
      throw err;
    }
    this.options.logger.info('cloudcore started', {
      certPort: this.certServer.port(),
      hubPort: this.hub.port(),
    });
  }

  /** Stops in reverse order; upstream work in progress finishes before its dependencies go. */
  async stop(): Promise<void> {
    await this.lifecycle.stop();
    await this.hub.stop();
    // Every session is closed now, so upstream messages not started yet could not be answered:
    // they are dropped, and each edge sends its own again to the cloudcore it reconnects to. At
    // 5,000 nodes (npm run bench:cloudhub, "stop"): 1,075 were waiting in one run; in a run that
    // still carried them out, that took 13.3 s.
    const dropped = this.upstreamLimit.dropWaiting();
    if (dropped > 0) this.options.logger.info('upstream messages not carried out at stop', { dropped });
    await this.upstreamLimit.idle();
    await this.devices.stop();
    await this.downstream.stop();
    await this.certServer.stop();
    await this.secrets.stop();
    await this.kubeConfig.close();
  }

  hubPort(): number {
    return this.hub.port();
  }

  /** Nodes connected right now. */
  connectedNodes(): string[] {
    return this.hub.sessions().map((s) => s.nodeId);
  }

  /** The current join token (KubeEdge's format: `keadm join --token`). */
  token(): string {
    return this.secrets.token();
  }

  certPort(): number {
    return this.certServer.port();
  }
}

/** The resource type a message is about, or undefined when its resource names none (§1.3). */
function resourceTypeOf(message: Message): string | undefined {
  try {
    const ref = parseCloudResource(message.route.resource ?? '', message.route.operation);
    return ref.kind === 'object' || ref.kind === 'collection' ? ref.resourceType : undefined;
  } catch {
    return undefined;
  }
}
