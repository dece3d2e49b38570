/**
 * cloudcore (ARCHITECTURE.md §2): the cloud side of KubeEdge, against any cluster reached through
 * a kubeconfig (the embedded API server or a real one). This version runs cloudhub: its credential
 * store, the certificate server (:10002) and the WebSocket hub (:10000) that edge nodes connect
 * to; the controllers that route messages join it as they are built (issue 3 onwards).
 * Constructor does no I/O; start in dependency order, stop in reverse (CONVENTIONS.md "Lifecycle").
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock, Logger } from '@edgeproof/core';
import {
  CertServer,
  CloudSecrets,
  DEFAULT_CERT_SERVER_PORT,
  HubServer,
  type HubEvents,
} from './cloudhub/index.ts';

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
  clock: Clock;
  logger: Logger;
};

export class CloudCore {
  private readonly options: CloudCoreOptions;
  private readonly secrets: CloudSecrets;
  private readonly certServer: CertServer;
  private readonly hub: HubServer;

  constructor(options: CloudCoreOptions) {
    this.options = options;
    const { kubeConfig, clock, logger } = options;
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
      ...(options.hubEvents ? { events: options.hubEvents } : {}),
      ...(options.host ? { host: options.host } : {}),
    });
  }

  async start(): Promise<void> {
    await this.secrets.start();
    try {
      await this.certServer.start();
      try {
        await this.hub.start();
      } catch (err) {
        await this.certServer.stop();
        throw err;
      }
    } catch (err) {
      await this.secrets.stop();
      throw err;
    }
    this.options.logger.info('cloudcore started', {
      certPort: this.certServer.port(),
      hubPort: this.hub.port(),
    });
  }

  async stop(): Promise<void> {
    await this.hub.stop();
    await this.certServer.stop();
    await this.secrets.stop();
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
