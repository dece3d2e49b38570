/**
 * The embedded Kubernetes API server (ARCHITECTURE.md §2 "apiserver"): the control plane when no
 * real cluster is given. SQLite storage under the data dir, HTTPS with a generated CA, bearer-token
 * auth, and the namespace and garbage-collection controllers a real cluster would run.
 * The constructor does no I/O; `start()` opens, listens and bootstraps; `stop()` undoes it in
 * reverse order (CONVENTIONS.md "Lifecycle").
 */
import { ServiceAccountTokenIssuer } from './service-account-tokens.ts';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, listenOn, type Clock, type Logger } from '@edgeproof/core';
import { Storage } from './storage.ts';
import { ResourceTypes } from './resource-types.ts';
import { Registry } from './registry.ts';
import { ApiHttpHandler } from './http-handler.ts';
import { NamespaceController } from './controllers/namespace-controller.ts';
import { GarbageCollector } from './controllers/garbage-collector.ts';
import { builtinResourceTypes } from './catalog/index.ts';
import { loadOrCreateServingPki } from '../pki/pki.ts';
import { loadOrCreateAdminToken } from './auth.ts';
import { renderKubeconfig, writeKubeconfig } from './kubeconfig.ts';
import { ApiError } from './status.ts';
import type { KubeObject } from './types.ts';

export type ApiServerOptions = {
  /** Folder for the database, certificates and token. Created if missing. */
  dataDir: string;
  /** TCP port; 0 picks a free one (see `port()` after start). */
  port: number;
  /** Address to listen on; loopback by default. */
  host?: string;
  clock: Clock;
  logger: Logger;
  /** Changes kept for watch resumption (older resourceVersions get 410). */
  historySize?: number;
  bookmarkIntervalMs?: number;
  /** Unsent bytes a watch may hold before it is closed as unresponsive. */
  maxWatchBufferBytes?: number;
  /** Objects (e.g. CRDs) created at start when missing and updated when they differ. */
  initialObjects?: KubeObject[];
};

export class ApiServer {
  private readonly options: ApiServerOptions;
  private storage: Storage | undefined;
  private registry: Registry | undefined;
  private server: Server | undefined;
  private handler: ApiHttpHandler | undefined;
  private controllers: AbortController | undefined;
  private controllerRuns: Promise<void>[] = [];
  private readonly sockets = new Set<Socket>();
  private token = '';
  private caPem = '';
  private listeningPort = 0;
  private isReady = false;

  constructor(options: ApiServerOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    const { dataDir, clock, logger } = this.options;
    const host = this.options.host ?? '127.0.0.1';
    mkdirSync(dataDir, { recursive: true });
    const pki = await loadOrCreateServingPki(join(dataDir, 'pki'), {
      hosts: ['localhost', '127.0.0.1', '::1', host],
      clock,
    });
    this.caPem = pki.caCertPem;
    this.token = loadOrCreateAdminToken(dataDir);
    const tokens = await ServiceAccountTokenIssuer.load(join(dataDir, 'pki'));
    this.storage = new Storage({
      path: join(dataDir, 'apiserver.db'),
      logger: logger.child('storage'),
      ...(this.options.historySize ? { historySize: this.options.historySize } : {}),
    });
    const types = new ResourceTypes(builtinResourceTypes());
    this.registry = new Registry({ storage: this.storage, types, clock, logger: logger.child('registry') });
    this.registry.bootstrap();
    this.installInitialObjects(this.options.initialObjects ?? []);

    this.handler = new ApiHttpHandler({
      registry: this.registry,
      token: this.token,
      clock,
      logger: logger.child('http'),
      serverAddress: () => `${host}:${this.listeningPort}`,
      ...(this.options.bookmarkIntervalMs ? { bookmarkIntervalMs: this.options.bookmarkIntervalMs } : {}),
      ...(this.options.maxWatchBufferBytes ? { maxWatchBufferBytes: this.options.maxWatchBufferBytes } : {}),
      ready: () => this.isReady,
      tokens,
    });
    const server = createServer(
      { cert: pki.certPem, key: pki.keyPem, minVersion: 'TLSv1.2' },
      this.handler.handle,
    );
    // Garbage or a bad TLS handshake on the socket: answer 400 where possible, never crash.
    server.on('clientError', (err, socket) => {
      logger.debug('bad client connection', { err: errorMessage(err) });
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    server.on('tlsClientError', (err) => logger.debug('TLS handshake failed', { err: errorMessage(err) }));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.keepAliveTimeout = 65_000;
    this.listeningPort = await listenOn(server, {
      port: this.options.port,
      host,
      who: 'the API server',
      whenInUse: 'stop the program using it or choose another port (--apiserver-port)',
    });
    // A listening server's later errors (accept failing with EMFILE, say) are logged, not thrown.
    server.on('error', (err) => logger.error('API server listener error', { err: errorMessage(err) }));
    this.server = server;

    this.controllers = new AbortController();
    const signal = this.controllers.signal;
    this.controllerRuns = [
      new NamespaceController({
        registry: this.registry,
        clock,
        logger: logger.child('namespace-controller'),
      }).run(signal),
      new GarbageCollector({ registry: this.registry, clock, logger: logger.child('garbage-collector') }).run(
        signal,
      ),
    ];
    this.isReady = true;
    logger.info('API server listening', { url: this.url() });
  }

  async stop(): Promise<void> {
    this.isReady = false;
    this.controllers?.abort();
    await Promise.allSettled(this.controllerRuns);
    this.handler?.closeWatches();
    if (this.server) {
      const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
      for (const socket of this.sockets) socket.destroy();
      await closed;
    }
    this.storage?.close();
    this.server = undefined;
    this.storage = undefined;
  }

  port(): number {
    return this.listeningPort;
  }

  url(): string {
    return `https://${this.options.host ?? '127.0.0.1'}:${this.listeningPort}`;
  }

  /** The CA that signed the serving certificate, PEM. */
  caCertificate(): string {
    return this.caPem;
  }

  adminToken(): string {
    return this.token;
  }

  kubeconfig(): string {
    return renderKubeconfig({ server: this.url(), caPem: this.caPem, token: this.token });
  }

  /** Writes a kubeconfig for this server to `path` (mode 0600). */
  writeKubeconfig(path: string): void {
    writeKubeconfig(path, this.kubeconfig());
  }

  /** The in-process registry, for embedding components (cloudcore) and tests. */
  objects(): Registry {
    if (!this.registry) throw new Error('the API server is not started');
    return this.registry;
  }

  private installInitialObjects(objects: KubeObject[]): void {
    const registry = this.objects();
    for (const obj of objects) {
      const [group, version] = (obj.apiVersion ?? '').includes('/')
        ? (obj.apiVersion ?? '').split('/')
        : ['', obj.apiVersion ?? ''];
      const type = registry.types
        .all()
        .find((t) => t.group === group && t.version === version && t.kind === obj.kind);
      if (!type)
        throw new Error(`cannot install ${obj.kind} ${obj.metadata.name}: ${obj.apiVersion} is not served`);
      const name = obj.metadata.name ?? '';
      try {
        const current = registry.get(type, obj.metadata.namespace, name);
        registry.update(type, obj.metadata.namespace, name, {
          ...obj,
          metadata: {
            ...current.metadata,
            labels: obj.metadata.labels,
            annotations: obj.metadata.annotations,
          },
        });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
        registry.create(type, obj.metadata.namespace, obj);
      }
    }
  }
}
