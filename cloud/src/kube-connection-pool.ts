/**
 * A KubeConfig whose API clients share one HTTPS connection pool.
 *
 * Why: @kubernetes/client-node 2.0.1 builds a new undici `Agent` for every request
 * (`KubeConfig.applySecurityAuthentication` → `createDispatcher`, dist/config.js), so every API
 * call opens a fresh TLS connection and each idle pool keeps its socket until undici's keep-alive
 * timeout. With thousands of edge nodes renewing status and leases every 10 s that is a TLS
 * handshake per call on both sides and hundreds of MB of lingering sockets in cloudcore (measured
 * with `npm run bench:cloudhub`: 200 nodes took cloudcore from 198 to 414 MB before this, see the
 * README's performance section for after).
 *
 * How: the request is authenticated as client-node's own `applySecurityAuthentication` does it
 * (headers from the auth and token plugins, basic auth, TLS material, all through client-node's
 * `applyToHTTPSOptions`), but instead of a fresh Agent per request it gets one kept here, built from
 * client-node's own connect options (`createDispatcherOptions`), as long as the server and TLS
 * material are the same. When the material changes (a rotated client certificate in a kubeconfig
 * file) a new pool replaces the old one. A cluster reached through a proxy keeps client-node's own
 * dispatcher.
 *
 * The pool holds at most `maxConnections` connections (default 64); further requests wait in it.
 * Unbounded, a burst of thousands of edge nodes registering at once opened thousands of TLS
 * connections to the API server and failed with "fetch failed"; client-go bounds the same thing
 * with its client-side rate limiter and HTTP/2 multiplexing.
 */
import { KeyObject, createHash } from 'node:crypto';
import type { AgentOptions, RequestOptions } from 'node:https';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { Agent } from 'undici';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * Connections to the API server at once, by default. DeviceStatus writes are bound by it
 * (DeviceController writes as many at once): twin bench at 10,000 updates/s, 32 → 64 took the
 * cloud from ~1,830 to ~2,100 writes/s on 2 shared cores. It stays well inside kube-apiserver's
 * default `--max-mutating-requests-inflight` of 200, which other clients share.
 */
export const DEFAULT_MAX_API_CONNECTIONS = 64;

export class PooledKubeConfig extends KubeConfig {
  private pool: { key: string; dispatcher: Dispatcher } | undefined;
  private readonly maxConnections: number;

  constructor(maxConnections = DEFAULT_MAX_API_CONNECTIONS) {
    super();
    this.maxConnections = maxConnections;
  }

  /** A pooled copy of `source` (same clusters, users, contexts and current context). */
  static from(source: KubeConfig, maxConnections = DEFAULT_MAX_API_CONNECTIONS): PooledKubeConfig {
    if (source instanceof PooledKubeConfig) return source;
    const pooled = new PooledKubeConfig(maxConnections);
    pooled.loadFromOptions({
      clusters: source.getClusters(),
      users: source.getUsers(),
      contexts: source.getContexts(),
      currentContext: source.getCurrentContext(),
    });
    return pooled;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const cluster = this.getCurrentCluster();
    if (cluster?.proxyUrl) return super.applySecurityAuthentication(context); // keep client-node's own dispatcher
    // What client-node's applySecurityAuthentication applies (dist/config.js), read once: auth
    // plugins, token and impersonation headers, basic auth, and the TLS material. Calling it would
    // also build, for every request, an undici Agent that is thrown away unused.
    const opts: RequestOptions = {};
    await this.applyToHTTPSOptions(opts);
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      if (value !== undefined) context.setHeaderParam(name, String(value));
    }
    const user = this.getCurrentUser();
    if (user?.username) {
      const basic = Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64');
      context.setHeaderParam('Authorization', `Basic ${basic}`);
    }
    const tls = tlsOf(opts);
    const key = poolKey(cluster?.server ?? '', tls);
    if (this.pool?.key !== key) {
      const options = this.createDispatcherOptions(cluster, tls);
      // Without a proxy the options are 'agent' or, with no TLS material at all, 'none', for which
      // client-node sets no dispatcher either (fetch's global one): the headers above are all.
      if (options.type !== 'agent') return;
      const old = this.pool;
      this.pool = {
        key,
        dispatcher: new Agent({ connect: options.connect, connections: this.maxConnections }),
      };
      // Requests still on the old pool finish; close() waits for them.
      if (old) void old.dispatcher.close();
    }
    context.setDispatcher(this.pool.dispatcher);
  }

  /** Closes the shared pool (its idle connections); later requests open a new one. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.dispatcher.close();
  }
}

/** The TLS options of a request, as client-node copies them from its https options. */
function tlsOf(opts: RequestOptions): AgentOptions {
  const tls: AgentOptions = {};
  if (opts.ca !== undefined) tls.ca = opts.ca;
  if (opts.cert !== undefined) tls.cert = opts.cert;
  if (opts.key !== undefined) tls.key = opts.key;
  if (opts.pfx !== undefined) tls.pfx = opts.pfx;
  if (opts.passphrase !== undefined) tls.passphrase = opts.passphrase;
  if (opts.rejectUnauthorized !== undefined) tls.rejectUnauthorized = opts.rejectUnauthorized;
  if (opts.servername !== undefined) tls.servername = opts.servername;
  return tls;
}

/** Same server and TLS material, same key, same pool. */
function poolKey(server: string, tls: AgentOptions): string {
  const hash = createHash('sha256');
  hash.update(server);
  // ca, cert and key are PEM strings or Buffers (client-node reads them with bufferFromFileOrString).
  for (const part of [tls.ca, tls.cert, tls.key, tls.pfx]) hash.update(`|${pemText(part)}`);
  hash.update(`|${String(tls.rejectUnauthorized)}|${tls.servername ?? ''}`);
  return hash.digest('hex');
}

/** A TLS option (PEM string, Buffer, key object, or a list of them) as text for the pool key. */
function pemText(part: unknown): string {
  if (part === undefined || part === null) return '';
  if (Array.isArray(part)) return part.map(pemText).join('\n');
  if (typeof part === 'string') return part;
  if (Buffer.isBuffer(part)) return part.toString('utf8');
  if (part instanceof KeyObject) return part.export({ format: 'pem', type: 'pkcs8' }).toString();
  return JSON.stringify(part);
}
