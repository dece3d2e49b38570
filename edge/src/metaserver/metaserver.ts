/**
 * MetaServer: the edge node's local Kubernetes read API, `http://127.0.0.1:10550`
 * (kubeedge-protocol.md §5.3), so that apps on the node and
 * `kubectl --server http://127.0.0.1:10550 get pods` work whether the cloud is reachable or not.
 * It serves get, list and watch of what the node holds in `meta_v2` (§5.1), with discovery,
 * selectors, server-side Tables and watch as real kubectl needs them (kubectl-contract.md).
 *
 * Compared with KubeEdge's (`edge/pkg/metamanager/metaserver/*`):
 * - Reads come from SQLite only. KubeEdge asks the cloud first through an Application message and
 *   falls back to SQLite when offline (§5.3); edgeproof's store is kept current by the downstream
 *   sync, so the local copy is the answer online too.
 * - Writes (POST, PUT, PATCH, DELETE) are refused with 405 MethodNotAllowed. KubeEdge forwards them
 *   to the cloud as Applications (§5.3); that is not done yet.
 * - No authentication, and loopback only by default. KubeEdge has MetaServer off by default and,
 *   when on, unauthenticated on 127.0.0.1 (§5.3); edgeproof has it on by default, on loopback.
 *   Listening anywhere else would expose secrets without auth: do that only behind TLS and auth
 *   (KubeEdge's `RequireAuthorization`, not implemented).
 * - Legacy discovery only (kubectl-contract.md §1), no OpenAPI (so `kubectl explain` and client-side
 *   apply validation do not work here), no pod logs or exec.
 *
 * Hand-written over node:http because there is no embeddable Kubernetes API server library for
 * Node; the cloud's embedded API server is the other hand-written one, and edge may not import it
 * (ARCHITECTURE.md §3).
 *
 * Instance-scoped, injected clock and logger, no I/O in the constructor (ARCHITECTURE.md §4).
 */
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorMessage, listenOn, badRequest, type Clock, type Logger } from '@edgeproof/core';
import type { MetaStore } from '../metamanager/store.ts';
import { ChangeFeed } from './change-feed.ts';
import { RequestHandler } from './handler.ts';

/** KubeEdge's MetaServer address (§5.3). */
export const DEFAULT_METASERVER_HOST = '127.0.0.1';
export const DEFAULT_METASERVER_PORT = 10550;
/** kube's watch cache sends a bookmark about once a minute. */
export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;
/** Events buffered for a watch client that does not read, before its watch is closed. */
export const DEFAULT_MAX_WATCH_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface MetaServerOptions {
  /** The node's store; MetaServer reads it and subscribes to its changes, and never closes it. */
  store: MetaStore;
  clock: Clock;
  logger: Logger;
  /** Default `127.0.0.1`. Anything but loopback exposes the node's secrets without authentication. */
  host?: string;
  /** Default 10550; 0 picks a free port (see `port()`). */
  port?: number;
  /** Changes kept for watches from an older resourceVersion (default 1000). */
  historySize?: number;
  bookmarkIntervalMs?: number;
  maxWatchBufferedBytes?: number;
}

/** The edge's read-only Kubernetes API over the local store; see the module comment. */
export class MetaServer {
  private readonly o: MetaServerOptions;
  private readonly log: Logger;
  private server: Server | undefined;
  private feed: ChangeFeed | undefined;
  private handler: RequestHandler | undefined;
  private boundPort: number | undefined;
  private starting: Promise<void> | undefined;

  constructor(options: MetaServerOptions) {
    this.o = options;
    this.log = options.logger;
  }

  /** The configured host. */
  host(): string {
    return this.o.host ?? DEFAULT_METASERVER_HOST;
  }

  /** The port listened on once started; before, the configured one. */
  port(): number {
    return this.boundPort ?? this.o.port ?? DEFAULT_METASERVER_PORT;
  }

  /**
   * Listens. Rejects as core's `listenOn` does (`ResourceBusyError` when the port is taken,
   * `ELISTEN` when the address cannot be used); nothing is left open then. Calling it again returns the same start.
   */
  start(): Promise<void> {
    this.starting ??= this.open().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  /** Ends every watch cleanly, closes every connection and stops listening. */
  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    this.starting = undefined;
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.feed?.stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await this.handler?.endWatches();
    // Whatever is still open (a request whose headers never finished) is cut.
    server.closeAllConnections();
    await closed;
    this.boundPort = undefined;
  }

  private async open(): Promise<void> {
    const host = this.host();
    const port = this.o.port ?? DEFAULT_METASERVER_PORT;
    const feed = new ChangeFeed({
      store: this.o.store,
      logger: this.log,
      ...(this.o.historySize === undefined ? {} : { historySize: this.o.historySize }),
    });
    const handler = new RequestHandler({
      store: this.o.store,
      feed,
      clock: this.o.clock,
      logger: this.log,
      serverAddress: () => `${host.includes(':') ? `[${host}]` : host}:${this.port()}`,
      bookmarkIntervalMs: this.o.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS,
      maxWatchBufferedBytes: this.o.maxWatchBufferedBytes ?? DEFAULT_MAX_WATCH_BUFFERED_BYTES,
    });
    const server = createServer((req, res) => handler.handle(req, res));
    server.on('clientError', (err, socket) => this.onClientError(err, socket));
    feed.start();
    try {
      this.boundPort = await listenOn(server, {
        port,
        host,
        who: 'MetaServer',
        whenInUse: 'is another edgecore running? stop it or choose another port (--metaserver-port)',
      });
    } catch (err) {
      feed.stop();
      throw err;
    }
    this.server = server;
    this.feed = feed;
    this.handler = handler;
    server.on('error', (err) => this.log.error('MetaServer socket error', { error: errorMessage(err) }));
    this.log.info('MetaServer listening', { address: `http://${host}:${this.boundPort}` });
    if (!isLoopback(host)) {
      this.log.warn(
        'MetaServer listens beyond loopback without authentication: anyone who can reach it reads the node’s secrets',
        { host },
      );
    }
  }

  /**
   * Bytes that are not HTTP (or headers too large): a 400 Status and the connection closed, as
   * Node's default does, plus a debug line; the server keeps serving everyone else.
   */
  private onClientError(err: Error & { code?: string }, socket: Duplex): void {
    this.log.debug('malformed request', { error: errorMessage(err), code: err.code });
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(badRequest(`malformed HTTP request: ${errorMessage(err)}`).toStatus());
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
