/**
 * Cloudhub's HTTPS server on :10002: certificate bootstrap and rotation for edge nodes, and the
 * node-name check keadm runs before joining (kubeedge-protocol.md §2.4).
 *
 * Behaviour checked in kubeedge/kubeedge:
 * - `cloud/pkg/cloudhub/servers/httpserver/server.go`: TLS with cloudcore's certificate and
 *   `ClientAuth: tls.RequestClientCert` (asked for, optional, not verified by the handshake).
 * - `cloud/pkg/cloudhub/servers/httpserver/certificate/certs.go`:
 *   - `GET /ca.crt` writes the raw CA DER.
 *   - `GET /edge.crt` authenticates with the peer certificate when one was sent (chained to the CA
 *     with clientAuth, first O `system:nodes` and CN `system:node:<NodeName header>`, or the legacy
 *     O `KubeEdge`/CN `kubeedge.io`), else with `Authorization: Bearer <JWT>` keyed with the CA key;
 *     either failure is 401. The body (a CSR in DER: the edge sends it in a GET,
 *     `edge/pkg/edgehub/certificate/certmanager.go` `GetEdgeCert`) is signed for `ExtKeyUsages`
 *     (a JSON array of Go `x509.ExtKeyUsage` ints, default `[2]` clientAuth) and the certificate DER
 *     is the whole response. The edge treats any status but 200 as failure and shows the body.
 * - `cloud/pkg/cloudhub/servers/httpserver/node/checknode.go`: `GET /node/{nodename}` answers
 *   200 "Node found", 404 "Node not found", or 500.
 *
 * Where this differs from KubeEdge on purpose (ARCHITECTURE.md §5, node identity is enforced):
 * - KubeEdge copies the subject (and SANs) of the CSR into the certificate, so anyone with a token
 *   may ask for any identity. Here the certificate is always CN `system:node:<NodeName>`,
 *   O `system:nodes`, and carries no SANs; the CSR contributes only its public key.
 * - A bad CSR, ExtKeyUsages header or NodeName is the client's fault: 400, not KubeEdge's 500.
 *   A body over the limit is 413 (KubeEdge: `MaxBytesReader`, then 500).
 * - A missing NodeName header is refused (KubeEdge signs whatever the CSR says).
 */
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import {
  EdgeproofError,
  InvalidInputError,
  errorMessage,
  isDns1123Subdomain,
  listenOn,
  type Clock,
  type Logger,
} from '@edgeproof/core';
import {
  issueCertificate,
  parseCertificate,
  readCertificateRequest,
  type CertificateUsage,
} from '../pki/pki.ts';
import type { CloudHubCredentials } from './cloud-secrets.ts';
import { apiStatusCode, apiErrorMessage } from './kube-errors.ts';
import { verifyToken, verifyTokenJwt } from './token.ts';

/** KubeEdge's default port for this server (`cloudHub.https.port`). */
export const DEFAULT_CERT_SERVER_PORT = 10002;
/** Routes, as KubeEdge's `common/constants` `DefaultCAURL` and `DefaultCertURL`. */
export const CA_PATH = '/ca.crt';
export const CERT_PATH = '/edge.crt';
const NODE_PATH_PREFIX = '/node/';

/** Edge certificate lifetime (`cloudHub.edgeCertSigningDuration`, default 365 days). */
const DEFAULT_EDGE_CERT_VALIDITY_DAYS = 365;
/** A P-256 CSR is about 300 bytes; 64 KiB leaves room for any sane one. */
const DEFAULT_MAX_CSR_BYTES = 64 * 1024;
/** How much of a refused body is read and dropped before the connection is cut. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

/** Go's `x509.ExtKeyUsage` values we can issue (crypto/x509: ExtKeyUsageServerAuth = 1, ClientAuth = 2). */
const GO_EXT_KEY_USAGE: Readonly<Record<number, CertificateUsage>> = { 1: 'server', 2: 'client' };
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const ANY_EKU_OID = '2.5.29.37.0';

export interface CertServerOptions {
  /** CA and serving certificate; read once at start. */
  credentials: CloudHubCredentials;
  /** Cluster access for `/node/{name}`; every call goes through @kubernetes/client-node. */
  kubeConfig: KubeConfig;
  clock: Clock;
  logger: Logger;
  /** Default 10002; 0 picks a free port (tests). */
  port?: number;
  /** Listen address; default all interfaces. */
  host?: string;
  /** Lifetime of issued edge certificates; default 365 days. */
  edgeCertValidityDays?: number;
  /** Largest CSR body accepted; default 64 KiB. */
  maxCsrBytes?: number;
  /**
   * Accept, for rotation, pre-1.15 edge certificates (O `KubeEdge`, CN `kubeedge.io`), which name no
   * node and so cannot be tied to the NodeName asked for. KubeEdge accepts them; edgeproof enforces
   * node identity by default (ARCHITECTURE.md §5), so the default is false.
   */
  allowLegacyClientCertificates?: boolean;
}

/** How a `/edge.crt` request proved who it is. */
type Caller = { kind: 'token' } | { kind: 'certificate'; subject: string; legacy: boolean };

/** A refusal: the status and the plain-text reason sent back (and logged). */
class Refusal extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * The :10002 server. The constructor does no I/O; `start()` listens, `stop()` closes the listener
 * and every connection. A failing request is answered and logged, never thrown out of the server.
 */
export class CertServer {
  private readonly api: CoreV1Api;
  private readonly log: Logger;
  private readonly maxCsrBytes: number;
  private readonly validityDays: number;
  private readonly options: CertServerOptions;
  private server: Server | undefined;

  constructor(options: CertServerOptions) {
    this.options = options;
    this.api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.log = options.logger.child('cert-server');
    this.maxCsrBytes = options.maxCsrBytes ?? DEFAULT_MAX_CSR_BYTES;
    this.validityDays = options.edgeCertValidityDays ?? DEFAULT_EDGE_CERT_VALIDITY_DAYS;
    if (!Number.isInteger(this.maxCsrBytes) || this.maxCsrBytes <= 0) {
      throw new InvalidInputError(`maxCsrBytes must be a positive integer, got ${this.maxCsrBytes}`);
    }
    if (!Number.isFinite(this.validityDays) || this.validityDays <= 0) {
      throw new InvalidInputError(`edgeCertValidityDays must be a positive number, got ${this.validityDays}`);
    }
  }

  /** Listens with the cloudcore certificate; resolves once the port is bound. */
  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const ca = this.options.credentials.ca();
    const serving = this.options.credentials.servingCertificate();
    const server = createServer(
      {
        cert: serving.certPem,
        key: serving.keyPem,
        // Client certificates are asked for and checked against the cloud CA, but optional: a
        // joining edge has none yet and authenticates with the token (KubeEdge: RequestClientCert).
        ca: [ca.certPem],
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2', // kubeedge-protocol.md §2.1
        // Bound slow or stalled clients; a CSR is tiny.
        requestTimeout: 30_000,
        headersTimeout: 15_000,
      },
      (req, res) => {
        this.handle(req, res).catch((err: unknown) => this.internalError(req, res, err));
      },
    );
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      this.log.debug('TLS handshake failed', { remote: socket.remoteAddress, error: err.message });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      this.log.debug('malformed HTTP request', { remote: socket.remoteAddress, error: err.message });
      if (err.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const [status, reason] =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ['408 Request Timeout', 'request not received in time']
          : ['400 Bad Request', 'malformed HTTP request'];
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${reason}\n`);
    });
    const port = this.options.port ?? DEFAULT_CERT_SERVER_PORT;
    await listenOn(server, {
      port,
      host: this.options.host,
      who: "cloudhub's certificate server",
      whenInUse: 'stop what holds it or choose another port (--certport)',
    });
    server.on('error', (err) => this.log.error('certificate server error', { error: err.message }));
    this.server = server;
    this.log.info('listening', { port: this.port() });
  }

  /** Closes the listener and all connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** The bound port (after `start()`). */
  port(): number {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') {
      throw new EdgeproofError('ENOTSTARTED', 'the certificate server is not listening; call start() first');
    }
    return address.port;
  }

  // -------------------------------------------------------------------------------------------
  // Routing

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req.url);
    const route =
      path === CA_PATH
        ? 'ca'
        : path === CERT_PATH
          ? 'cert'
          : path.startsWith(NODE_PATH_PREFIX)
            ? 'node'
            : undefined;
    if (route === undefined) {
      this.refuse(
        req,
        res,
        new Refusal(
          404,
          `no route for ${path}; this server answers GET ${CA_PATH}, GET ${CERT_PATH} and GET ${NODE_PATH_PREFIX}{name}`,
        ),
      );
      return;
    }
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      this.refuse(req, res, new Refusal(405, `${req.method ?? '?'} is not allowed on ${path}; use GET`));
      return;
    }
    try {
      switch (route) {
        case 'ca':
          this.send(res, 200, this.options.credentials.ca().certDer, 'application/octet-stream');
          return;
        case 'cert':
          await this.signEdgeCertificate(req, res);
          return;
        case 'node':
          await this.checkNode(req, res, path.slice(NODE_PATH_PREFIX.length));
          return;
      }
    } catch (err) {
      if (err instanceof Refusal) {
        this.refuse(req, res, err);
        return;
      }
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // GET /edge.crt

  private async signEdgeCertificate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const caller = await this.authenticate(req);
    const nodeName = requireNodeName(req.headers.nodename);
    if (caller.kind === 'certificate') this.authorizeRotation(caller, nodeName);
    const usages = parseExtKeyUsages(req.headers.extkeyusages);
    const csrDer = await this.readCsr(req, res);
    try {
      readCertificateRequest(csrDer);
    } catch (err) {
      if (err instanceof InvalidInputError) throw new Refusal(400, `CSR invalid: ${err.message}`);
      throw err;
    }
    const ca = this.options.credentials.ca();
    const issued = await issueCertificate({
      ca,
      commonName: `system:node:${nodeName}`,
      organization: 'system:nodes',
      usages,
      validityDays: this.validityDays,
      clock: this.options.clock,
      csrDer,
    });
    this.send(res, 200, issued.certDer, 'application/octet-stream');
    this.log.info('issued an edge certificate', {
      node: nodeName,
      by: caller.kind === 'token' ? 'token' : `certificate ${caller.subject}`,
      usages: usages.join(','),
      remote: req.socket.remoteAddress,
    });
  }

  /** A peer certificate, when sent, must verify (KubeEdge does not fall back to the token); else the token. */
  private async authenticate(req: IncomingMessage): Promise<Caller> {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate(false);
    if (peer.raw !== undefined && peer.raw.length > 0) {
      if (!socket.authorized) {
        throw new Refusal(
          401,
          `client certificate rejected (${String(socket.authorizationError)}): it must be issued by this cloud's CA; join again with a token`,
        );
      }
      // Node types this as string[], but it is undefined when the certificate has no EKU extension
      // (which Go, like RFC 5280 §4.2.1.12, reads as "any usage").
      const eku: string[] | undefined = new X509Certificate(peer.raw).keyUsage;
      if (eku !== undefined && !eku.includes(CLIENT_AUTH_OID) && !eku.includes(ANY_EKU_OID)) {
        throw new Refusal(401, 'client certificate rejected: it is not valid for client authentication');
      }
      const info = parseCertificate(peer.raw);
      const cn = info.commonName ?? '';
      const o = info.organization[0] ?? '';
      const legacy = o === 'KubeEdge' && cn === 'kubeedge.io';
      return { kind: 'certificate', subject: `CN=${cn}, O=${o}`, legacy };
    }
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      throw new Refusal(
        401,
        "Authorization header missing: send 'Authorization: Bearer <token without its first part>', or a client certificate from this cloud's CA",
      );
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) {
      throw new Refusal(401, "Authorization header is not 'Bearer <token>'");
    }
    const token = match[1];
    const { keyDer: caKeyDer, certDer: caCertDer } = this.options.credentials.ca();
    // The edge sends the JWT alone; a whole token (CA hash first) is accepted too, hash checked.
    const check =
      token.split('.').length === 4
        ? await verifyToken(token, { caCertDer, caKeyDer, clock: this.options.clock })
        : await verifyTokenJwt(token, { caKeyDer, clock: this.options.clock });
    if (!check.ok) throw new Refusal(401, check.message);
    return { kind: 'token' };
  }

  /** A node renews only its own identity (KubeEdge `verifyCertSubject`). */
  private authorizeRotation(caller: Extract<Caller, { kind: 'certificate' }>, nodeName: string): void {
    if (caller.subject === `CN=system:node:${nodeName}, O=system:nodes`) return;
    if (caller.legacy) {
      if (this.options.allowLegacyClientCertificates ?? false) {
        this.log.warn('renewing with a legacy kubeedge.io certificate, which names no node', {
          node: nodeName,
        });
        return;
      }
      throw new Refusal(
        401,
        'legacy kubeedge.io client certificates are not accepted here; join again with a token',
      );
    }
    throw new Refusal(
      401,
      `request node name is not match with the certificate: the client certificate is ${caller.subject}, NodeName is ${nodeName}; a node may only renew its own certificate`,
    );
  }

  /**
   * Reads the CSR body, refusing more than maxCsrBytes (413) and an empty body (400). The 413 is
   * sent at once, while the rest of the body is read and dropped: a client still writing would
   * otherwise get a connection reset instead of the answer. Past DRAIN_LIMIT_BYTES of dropped data
   * the connection is cut.
   */
  private readCsr(req: IncomingMessage, res: ServerResponse): Promise<Buffer> {
    const limit = this.maxCsrBytes;
    const tooLarge = new Refusal(
      413,
      `CSR too large: at most ${limit} bytes; send the DER CSR alone as the body`,
    );
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      if (declared > DRAIN_LIMIT_BYTES) res.setHeader('Connection', 'close');
      else drain(req);
      return Promise.reject(tooLarge);
    }
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const cleanup = (): void => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limit) {
          cleanup();
          drain(req);
          reject(tooLarge);
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = (): void => {
        cleanup();
        if (size === 0) {
          reject(new Refusal(400, 'CSR missing: send the certificate request (DER) as the request body'));
          return;
        }
        resolve(Buffer.concat(chunks, size));
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(err);
      };
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
    });
  }

  // -------------------------------------------------------------------------------------------
  // GET /node/{name}

  private async checkNode(req: IncomingMessage, res: ServerResponse, encoded: string): Promise<void> {
    let name: string;
    try {
      name = decodeURIComponent(encoded);
    } catch {
      throw new Refusal(400, 'node name is not valid URL encoding');
    }
    if (name === '') throw new Refusal(400, 'nodename parameter is required');
    if (!isDns1123Subdomain(name)) {
      throw new Refusal(400, `"${name}" is not a valid node name (lower-case RFC 1123 subdomain)`);
    }
    try {
      await this.api.readNode({ name });
    } catch (err) {
      if (apiStatusCode(err) === 404) {
        this.send(res, 404, 'Node not found\n');
        return;
      }
      this.log.error('node lookup failed', {
        node: name,
        error: apiErrorMessage(err),
        remote: req.socket.remoteAddress,
      });
      this.send(res, 500, 'Failed to query node information\n');
      return;
    }
    this.send(res, 200, 'Node found\n');
  }

  // -------------------------------------------------------------------------------------------
  // Responses

  private refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
    this.log.warn('request refused', {
      method: req.method,
      path: requestPath(req.url),
      node: headerText(req.headers.nodename),
      status: refusal.status,
      reason: refusal.message,
      remote: req.socket.remoteAddress,
    });
    this.send(res, refusal.status, `${refusal.message}\n`);
  }

  private internalError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    this.log.error('request failed', {
      method: req.method,
      path: requestPath(req.url),
      node: headerText(req.headers.nodename),
      error: errorMessage(err),
      remote: req.socket.remoteAddress,
    });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.send(res, 500, `internal error: ${errorMessage(err)}\n`);
  }

  private send(
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    type = 'text/plain; charset=utf-8',
  ): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}

/** Reads and drops the rest of a refused body, cutting the connection once DRAIN_LIMIT_BYTES have gone by. */
function drain(req: IncomingMessage): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_LIMIT_BYTES) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

/** The URL path without query string, or '' when the request target is unusable. */
function requestPath(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function requireNodeName(header: string | string[] | undefined): string {
  const value = headerText(header)?.trim() ?? '';
  if (value === '') {
    throw new Refusal(400, 'NodeName header missing: send the name of the node the certificate is for');
  }
  if (!isDns1123Subdomain(value)) {
    throw new Refusal(400, `NodeName "${value}" is not a valid node name (lower-case RFC 1123 subdomain)`);
  }
  return value;
}

/** The `ExtKeyUsages` header: a JSON array of Go x509.ExtKeyUsage ints; absent means clientAuth. */
function parseExtKeyUsages(header: string | string[] | undefined): CertificateUsage[] {
  const text = headerText(header)?.trim() ?? '';
  if (text === '') return ['client'];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Refusal(
      400,
      `ExtKeyUsages header is not JSON: send an array such as [2] (clientAuth) or [1,2]`,
    );
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new Refusal(400, 'ExtKeyUsages header must be a non-empty JSON array such as [2] (clientAuth)');
  }
  const usages = new Set<CertificateUsage>();
  for (const item of parsed) {
    const usage = typeof item === 'number' ? GO_EXT_KEY_USAGE[item] : undefined;
    if (usage === undefined) {
      throw new Refusal(
        400,
        `ExtKeyUsages value ${JSON.stringify(item)} is not supported: use 1 (serverAuth) or 2 (clientAuth)`,
      );
    }
    usages.add(usage);
  }
  return [...usages];
}
