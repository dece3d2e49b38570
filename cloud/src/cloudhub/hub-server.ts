/**
 * Cloudhub's WebSocket server on :10000 (kubeedge-protocol.md §2.1–2.3): mutual TLS, one
 * `NodeSession` per connected edge node, and the events the rest of cloudcore listens to.
 *
 * Behaviour checked in kubeedge/kubeedge:
 * - `cloud/pkg/cloudhub/servers/server.go`: WebSocket over TLS on `cloudHub.websocket.port`
 *   (10000), handler at `/` so any path is accepted, TLS ≥ 1.2, client certificate required and
 *   verified against the cloud CA.
 * - `pkg/viaduct/pkg/server/ws.go`: the upgrade keeps the request headers; the node is the
 *   `node_id` header, the project the `project_id` header; `ConnectionUse` is read but only `msg`
 *   is ever sent by edgehub.
 * - `cloud/pkg/cloudhub/session/session_manager.go` `AddSession`: when a node that already has a
 *   session connects again, the old session is terminated (its connection closed) and the new one
 *   takes its place. We do the same, and the old session's disconnect event fires before the new
 *   one's connect event (KubeEdge publishes the old disconnect after the new connect, which can
 *   mark a reconnected node offline).
 *
 * Admission (certificate, node identity, node limit) is `hub-admission.ts`; per-node protocol is
 * `node-session.ts`. The TLS layer asks for a client certificate and verifies it, but does not
 * fail the handshake without one (`rejectUnauthorized: false`): the upgrade is then refused with
 * 401 and a reason the edge can log, instead of a bare TLS alert. No request without a verified
 * certificate is ever upgraded.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  EdgeproofError,
  InvalidInputError,
  errorMessage,
  listenOn,
  type Clock,
  type Logger,
  type Message,
} from '@edgeproof/core';
import type { CloudHubCredentials } from './cloud-secrets.ts';
import { DEFAULT_NODE_LIMIT, admitUpgrade } from './hub-admission.ts';
import { NodeSession, type SessionCloseReason } from './node-session.ts';

/** KubeEdge's default port for this server (`cloudHub.websocket.port`). */
export const DEFAULT_HUB_PORT = 10000;

/** What the rest of cloudcore hears from the hub. Handlers must not throw; a throw is logged. */
export interface HubEvents {
  /** A node's session is open and registered; `session.send` works from here on. */
  onConnect?: (session: NodeSession) => void;
  /** A node's session ended (keepalive timeout, peer closed, replaced, …). */
  onDisconnect?: (nodeId: string, reason: SessionCloseReason, session: NodeSession) => void;
  /** An upstream message, keepalives excluded, resource prefixed `node/<id>/` (§1.3). */
  onMessage?: (session: NodeSession, message: Message) => void;
}

export interface HubServerOptions {
  /** CA (to verify nodes) and serving certificate; read once at start. */
  credentials: CloudHubCredentials;
  clock: Clock;
  logger: Logger;
  events?: HubEvents;
  /** Default 10000; 0 picks a free port (tests). */
  port?: number;
  /** Listen address; default all interfaces. */
  host?: string;
  /** Most sessions at once; default 500 as KubeEdge's `cloudHub.nodeLimit`. */
  nodeLimit?: number;
  /**
   * Refuse a node whose certificate CN is not `system:node:<node_id>`. Default true
   * (ARCHITECTURE.md §5); false is KubeEdge's default (`cloudHub.authorization.enable: false`).
   */
  enforceNodeIdentity?: boolean;
  /** Per-session keepalive timeout; default 30 s (§2.3). */
  keepaliveTimeoutMs?: number;
  /** Largest message; default 32 MiB (§2.2). A bigger frame closes the socket with 1009. */
  maxMessageBytes?: number;
  /** Consecutive undecodable frames before a node is cut off; default 10. */
  maxBadFrames?: number;
  /** How long `stop()` waits for peers to answer the close frame before cutting them off; default 2 s. */
  stopGraceMs?: number;
}

/**
 * A peer answers the close frame within a round trip (RFC 6455 §5.5.1); one that does not (a
 * partitioned link, a hung process) is cut off after this, where ws alone would wait its 30 s
 * closeTimeout and hold the stop of cloudcore up with it.
 */
export const DEFAULT_STOP_GRACE_MS = 2_000;

/**
 * The :10000 server. The constructor does no I/O; `start()` listens, `stop()` closes every session
 * (each firing `onDisconnect`) and the listener.
 */
export class HubServer {
  private readonly options: HubServerOptions;
  private readonly log: Logger;
  private readonly nodeLimit: number;
  private readonly maxMessageBytes: number;
  private readonly live = new Map<string, NodeSession>();
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;

  constructor(options: HubServerOptions) {
    this.options = options;
    this.log = options.logger.child('cloudhub');
    this.nodeLimit = options.nodeLimit ?? DEFAULT_NODE_LIMIT;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isSafeInteger(this.nodeLimit) || this.nodeLimit < 0) {
      throw new InvalidInputError(`nodeLimit must be a non-negative integer, got ${this.nodeLimit}`);
    }
    if (!Number.isSafeInteger(this.maxMessageBytes) || this.maxMessageBytes <= 0) {
      throw new InvalidInputError(`maxMessageBytes must be a positive integer, got ${this.maxMessageBytes}`);
    }
  }

  /** Listens with the cloudcore certificate; resolves once the port is bound. */
  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const ca = this.options.credentials.ca();
    const serving = this.options.credentials.servingCertificate();
    const server = createServer({
      cert: serving.certPem,
      key: serving.keyPem,
      ca: [ca.certPem],
      requestCert: true,
      // Verified, but refused at the upgrade with a readable reason (see the file comment).
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2', // kubeedge-protocol.md §2.1
      headersTimeout: 15_000,
      requestTimeout: 30_000,
    });
    // noServer: the upgrade is ours to admit or refuse; maxPayload makes ws close an oversized
    // frame with 1009 before buffering it (viaduct's 32 MiB bound, §2.2); clientTracking keeps
    // every connection in `wss.clients` until its socket closes, for `stop()` to cut off.
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.maxMessageBytes,
      clientTracking: true,
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(wss, req, socket, head);
    });
    server.on('request', (req: IncomingMessage, res) => {
      const body =
        'this is cloudhub: connect with a WebSocket upgrade (wss://<host>:10000/<project>/<node>/events)\n';
      res.writeHead(426, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        Upgrade: 'websocket',
      });
      res.end(body);
      this.log.debug('plain HTTP request refused', { path: req.url, remote: req.socket.remoteAddress });
    });
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      this.log.debug('TLS handshake failed', { remote: socket.remoteAddress, error: err.message });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      this.log.debug('malformed HTTP request', { error: err.message });
      socket.destroy();
    });
    const port = this.options.port ?? DEFAULT_HUB_PORT;
    await listenOn(server, {
      port,
      host: this.options.host,
      who: 'cloudhub',
      whenInUse: 'stop what holds it or choose another port (--cloudhub-port)',
    });
    server.on('error', (err) => this.log.error('cloudhub server error', { error: err.message }));
    this.server = server;
    this.wss = wss;
    this.log.info('listening', { port: this.port(), nodeLimit: this.nodeLimit });
  }

  /**
   * Closes every session (firing `onDisconnect`), then the listener and all connections; a peer
   * that has not answered the close frame after `stopGraceMs` is cut off.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    for (const session of [...this.live.values()]) session.shutdown();
    const clients = this.wss?.clients ?? new Set<WebSocket>();
    this.wss?.close();
    this.wss = undefined;
    const cutOff = this.options.clock.setTimeout(() => {
      if (clients.size > 0)
        this.log.info('cutting off peers that did not answer the close', { peers: clients.size });
      for (const ws of clients) ws.terminate();
    }, this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    cutOff.cancel();
  }

  /** The bound port (after `start()`). */
  port(): number {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') {
      throw new EdgeproofError('ENOTSTARTED', 'cloudhub is not listening; call start() first');
    }
    return address.port;
  }

  /** The open sessions, one per connected node. */
  sessions(): NodeSession[] {
    return [...this.live.values()];
  }

  /** The open session of `nodeId`, if it is connected. */
  session(nodeId: string): NodeSession | undefined {
    return this.live.get(nodeId);
  }

  // -------------------------------------------------------------------------------------------

  private upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const tls = req.socket as TLSSocket;
    const admission = admitUpgrade(
      {
        headers: req.headers,
        authorized: tls.authorized,
        authorizationError: tls.authorizationError === undefined ? undefined : String(tls.authorizationError),
        peerCertificate: tls.getPeerCertificate(false),
      },
      {
        enforceNodeIdentity: this.options.enforceNodeIdentity ?? true,
        nodeLimit: this.nodeLimit,
        sessionCount: this.live.size,
        hasSession: (id) => this.live.has(id),
      },
    );
    if (!admission.ok) {
      this.log.warn('connection refused', {
        node: admission.nodeId,
        status: admission.status,
        reason: admission.reason,
        remote: tls.remoteAddress,
      });
      refuseUpgrade(socket, admission.status, admission.reason);
      return;
    }
    // ws completes the upgrade synchronously (no verifyClient), so the limit checked above still
    // holds when the session is added.
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      this.open(ws, admission.nodeId, admission.projectId, tls.remoteAddress);
    });
  }

  private open(ws: WebSocket, nodeId: string, projectId: string, remote: string | undefined): void {
    const previous = this.live.get(nodeId);
    if (previous !== undefined) {
      this.log.warn('node connected again; closing its previous session', { node: nodeId, remote });
      previous.replace();
    }
    const events = this.options.events ?? {};
    const session = new NodeSession({
      nodeId,
      projectId,
      clock: this.options.clock,
      logger: this.log,
      ...(this.options.keepaliveTimeoutMs === undefined
        ? {}
        : { keepaliveTimeoutMs: this.options.keepaliveTimeoutMs }),
      ...(this.options.maxBadFrames === undefined ? {} : { maxBadFrames: this.options.maxBadFrames }),
      maxMessageBytes: this.maxMessageBytes,
      transport: {
        send: (text, done) => ws.send(text, { binary: false }, done),
        close: (code, reason) => ws.close(code, reason),
      },
      onMessage: (s, message) => this.emit('onMessage', () => events.onMessage?.(s, message), nodeId),
      onClose: (s, reason) => {
        // A replaced session must not remove its successor.
        if (this.live.get(nodeId) === s) this.live.delete(nodeId);
        this.emit('onDisconnect', () => events.onDisconnect?.(nodeId, reason, s), nodeId);
      },
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      session.receive(isBinary ? rawBytes(data) : rawBytes(data).toString('utf8'));
    });
    ws.on('close', (code: number, reason: Buffer) => session.transportClosed(code, reason.toString('utf8')));
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself after these (1009 for an oversized frame, 1002/1007 for
      // protocol errors); 'close' follows and ends the session.
      this.log.warn('WebSocket error', { node: nodeId, code: err.code, error: err.message });
    });
    this.live.set(nodeId, session);
    session.start();
    this.log.info('node connected', { node: nodeId, project: projectId, remote, sessions: this.live.size });
    this.emit('onConnect', () => events.onConnect?.(session), nodeId);
  }

  private emit(name: keyof HubEvents, call: () => void, nodeId: string): void {
    try {
      call();
    } catch (err) {
      this.log.error(`${name} handler failed`, { node: nodeId, error: errorMessage(err) });
    }
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  503: 'Service Unavailable',
};

/** Answers a refused upgrade with a plain HTTP response and closes the connection. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** ws hands over a Buffer by default, a Buffer[] for fragmented frames in some modes. */
function rawBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
