/**
 * An embedded, Toxiproxy-compatible server: the TCP proxies plus the Toxiproxy HTTP API
 * (Shopify/toxiproxy README "HTTP API", `api.go`), so that edgeproof's chaos tests — and any
 * Toxiproxy client, such as toxiproxy-node-client or curl — work where no Toxiproxy binary is
 * installed. It is hand-written: no Toxiproxy server binary is available in this environment and
 * no npm package implements the server side.
 *
 * The routes, status codes, JSON field order and error bodies (`{"error":"…","status":N}`, sent
 * as Go's `http.Error` sends them: text/plain, with a trailing newline) follow api.go. Requests
 * run one at a time, as Go's collection locks serialise them. Known differences from Toxiproxy
 * are listed in chaos/README.md.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConcurrencyLimit,
  EdgeproofError,
  errorMessage,
  InvalidInputError,
  ResourceBusyError,
  silentLogger,
  SystemClock,
  type Clock,
  type Logger,
} from '@edgeproof/core';
import { ApiError, ErrBadRequestBody, ErrToxicNotFound, toApiError } from './api-error.ts';
import { goJson, parseBody } from './go-json.ts';
import { joinHostPort } from './address.ts';
import { decodePopulate, decodeProxyCreate, decodeProxyUpdate } from './proxy-codec.ts';
import { ProxyCollection } from './proxy-collection.ts';
import type { Proxy, ProxyJson } from './proxy.ts';
import type { ToxiproxyRuntime } from './runtime.ts';
import { toxicJson } from './toxic-codec.ts';

/** The Toxiproxy release whose API this server implements. */
export const TOXIPROXY_VERSION = '2.7.0';

/** Toxiproxy's default API port. */
export const TOXIPROXY_DEFAULT_PORT = 8474;

const MAX_BODY_BYTES = 1 << 20;

export type ToxiproxyServerOptions = {
  /** Interface of the HTTP API; default 127.0.0.1. */
  host?: string;
  /** Port of the HTTP API; 0 takes a free one. Default 8474. */
  port?: number;
  clock?: Clock;
  /** Random source for jitter, slicing and toxicity; default Math.random. */
  random?: () => number;
  logger?: Logger;
};

type Handler = (params: string[], body: string) => Promise<Reply>;
type Route = { path: string[]; methods: Record<string, Handler> };
type Reply = { status: number; json?: unknown; text?: string; contentType?: string };

export class ToxiproxyServer {
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly runtime: ToxiproxyRuntime;
  private readonly log: Logger;
  private readonly collection: ProxyCollection;
  private readonly lock = new ConcurrencyLimit(1);
  private readonly routes: Route[];
  private http: Server | undefined;

  constructor(options: ToxiproxyServerOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? TOXIPROXY_DEFAULT_PORT;
    this.log = options.logger ?? silentLogger();
    this.runtime = {
      clock: options.clock ?? new SystemClock(),
      random: options.random ?? Math.random,
      logger: this.log,
    };
    this.collection = new ProxyCollection(this.runtime);
    this.routes = this.routeTable();
  }

  /** Starts the HTTP API. */
  async start(): Promise<void> {
    if (this.http) return;
    const http = createServer({ requestTimeout: 15_000 }, (req, res) => void this.serve(req, res));
    http.keepAliveTimeout = 60_000;
    // Go's net/http answers an unparseable request like this, and closes.
    http.on('clientError', (err, socket) => {
      this.log.debug('bad HTTP request', { err: errorMessage(err) });
      if (socket.writable) {
        socket.end(
          'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request',
        );
      } else {
        socket.destroy();
      }
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.requestedPort, this.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    http.on('error', (err) => this.log.error('HTTP API error', { err: errorMessage(err) }));
    this.http = http;
    this.log.info('Starting Toxiproxy HTTP server', { address: this.address() });
  }

  /** Stops the API and every proxy (closing their listeners and connections). */
  async stop(): Promise<void> {
    const http = this.http;
    this.http = undefined;
    if (http) {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    }
    await this.lock.run(() => this.collection.clear());
  }

  /** `host:port` of the API. */
  address(): string {
    const a = this.http?.address() as AddressInfo | undefined;
    return joinHostPort(a?.address ?? this.host, a?.port ?? this.requestedPort);
  }

  /** The port the API listens on (the real one when started with port 0). */
  port(): number {
    return (this.http?.address() as AddressInfo | undefined)?.port ?? this.requestedPort;
  }

  /** Base URL of the API, e.g. `http://127.0.0.1:8474`. */
  url(): string {
    return `http://${this.address()}`;
  }

  /**
   * Creates or replaces proxies from a Toxiproxy `-config` array (`[{name, listen, upstream,
   * enabled?}]`), as `POST /populate` does. Bad entries throw InvalidInputError; a listen
   * address that is taken throws ResourceBusyError.
   */
  async populate(config: unknown): Promise<ProxyJson[]> {
    return this.lock.run(async () => {
      let result: { proxies: Proxy[]; error?: ApiError };
      try {
        result = await this.collection.populate(decodePopulate(config));
      } catch (err) {
        result = { proxies: [], error: toApiError(err) };
      }
      const { proxies, error } = result;
      if (error === undefined) return proxies.map((p) => p.toJSON());
      if (error.status < 500) throw new InvalidInputError(error.message);
      if (/address already in use/.test(error.message)) throw new ResourceBusyError(error.message);
      throw new EdgeproofError('EPOPULATE', error.message);
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.dispatch(req);
    } catch (err) {
      reply = errorReply(toApiError(err));
    }
    this.log.debug('request', { method: req.method, url: req.url, status: reply.status });
    if (res.headersSent || res.destroyed) return;
    if (reply.json !== undefined) {
      res.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'application/json' });
      res.end(goJson(reply.json));
    } else if (reply.text !== undefined) {
      res.writeHead(reply.status, {
        'Content-Type': reply.contentType ?? 'text/plain; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(reply.text);
    } else {
      res.writeHead(reply.status);
      res.end();
    }
  }

  private async dispatch(req: IncomingMessage): Promise<Reply> {
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const segments = rawPath.split('/').slice(1);
    let match: { route: Route; params: string[] } | undefined;
    for (const route of this.routes) {
      const params = matchPath(route.path, segments);
      if (params) {
        match = { route, params };
        break;
      }
    }
    // gorilla/mux: no route is a plain 404; a route without this method is a bare 405.
    if (!match) return { status: 404, text: '404 page not found\n' };
    const handler = match.route.methods[req.method ?? ''];
    if (!handler) return { status: 405 };
    // api.go `stopBrowsersMiddleware`: no browsers, so a web page cannot drive the API (CSRF).
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      return { status: 403, text: 'User agent not allowed\n' };
    }
    const body = await readBody(req);
    const params = match.params;
    return this.lock.run(() => handler(params, body));
  }

  private routeTable(): Route[] {
    const c = this.collection;
    const proxyUpdate: Handler = async ([name], body) => {
      const proxy = c.get(name ?? '');
      const input = decodeProxyUpdate(
        { name: proxy.name, listen: proxy.listen, upstream: proxy.upstream, enabled: proxy.enabled },
        parseBody(body),
      );
      await proxy.update(input);
      return { status: 200, json: proxy.toJSON() };
    };
    const toxicUpdate: Handler = async ([name, toxic], body) => {
      const proxy = c.get(name ?? '');
      return { status: 200, json: toxicJson(await proxy.toxics.update(toxic ?? '', parseBody(body))) };
    };
    return [
      {
        path: ['reset'],
        methods: {
          // api.go `ResetState`: enable every proxy, remove every toxic.
          POST: async () => {
            for (const proxy of c.list()) {
              await proxy.start();
              await proxy.toxics.reset();
            }
            return { status: 204 };
          },
        },
      },
      {
        path: ['proxies'],
        methods: {
          GET: () =>
            Promise.resolve({
              status: 200,
              json: Object.fromEntries(c.list().map((p) => [p.name, p.toJSON()])),
            }),
          POST: async (_p, body) => {
            const proxy = await c.add(decodeProxyCreate(parseBody(body)));
            return { status: 201, json: proxy.toJSON() };
          },
        },
      },
      { path: ['populate'], methods: { POST: (_p, body) => this.populateReply(body) } },
      {
        path: ['proxies', ':proxy'],
        methods: {
          GET: ([name]) => Promise.resolve({ status: 200, json: c.get(name ?? '').toJSON() }),
          POST: proxyUpdate,
          PATCH: proxyUpdate,
          DELETE: async ([name]) => {
            await c.remove(name ?? '');
            return { status: 204 };
          },
        },
      },
      {
        path: ['proxies', ':proxy', 'toxics'],
        methods: {
          GET: ([name]) =>
            Promise.resolve({
              status: 200,
              json: c
                .get(name ?? '')
                .toxics.list()
                .map(toxicJson),
            }),
          // api.go `ToxicCreate` answers 200, not 201.
          POST: ([name], body) => {
            const proxy = c.get(name ?? '');
            return Promise.resolve({ status: 200, json: toxicJson(proxy.toxics.add(parseBody(body))) });
          },
        },
      },
      {
        path: ['proxies', ':proxy', 'toxics', ':toxic'],
        methods: {
          GET: ([name, toxicName]) => {
            const toxic = c.get(name ?? '').toxics.get(toxicName ?? '');
            if (toxic === undefined) throw ErrToxicNotFound;
            return Promise.resolve({ status: 200, json: toxicJson(toxic) });
          },
          POST: toxicUpdate,
          PATCH: toxicUpdate,
          DELETE: async ([name, toxic]) => {
            await c.get(name ?? '').toxics.remove(toxic ?? '');
            return { status: 204 };
          },
        },
      },
      {
        path: ['version'],
        methods: {
          GET: () =>
            Promise.resolve({
              status: 200,
              text: `{"version": "${TOXIPROXY_VERSION}"}\n`,
              contentType: 'application/json;charset=utf-8',
            }),
        },
      },
    ];
  }

  /**
   * api.go `Populate`: `{"proxies":[…]}` with 201, or the error fields and the proxies applied
   * before it failed, with the error's status. Go writes `null` for an empty list.
   */
  private async populateReply(body: string): Promise<Reply> {
    let proxies: Proxy[] = [];
    let error: ApiError | undefined;
    try {
      ({ proxies, error } = await this.collection.populate(decodePopulate(parseBody(body))));
    } catch (err) {
      error = toApiError(err);
    }
    const list = proxies.length > 0 ? proxies.map((p) => p.toJSON()) : null;
    if (error) {
      this.log.warn('Populate errors', { err: error.message });
      return { status: error.status, json: { error: error.message, status: error.status, proxies: list } };
    }
    return { status: 201, json: { proxies: list } };
  }
}

/** api.go `apiError` → Go's `http.Error`: JSON text, text/plain, newline. */
function errorReply(err: ApiError): Reply {
  return { status: err.status, text: goJson(err) + '\n' };
}

function matchPath(pattern: string[], segments: string[]): string[] | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] ?? '';
    const have = segments[i] ?? '';
    if (want.startsWith(':')) {
      if (have === '') return undefined;
      try {
        params.push(decodeURIComponent(have));
      } catch {
        return undefined;
      }
    } else if (want !== have) {
      return undefined;
    }
  }
  return params;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) parts.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(ApiError.join('http: request body too large', ErrBadRequestBody));
      else resolve(Buffer.concat(parts).toString('utf8'));
    });
    req.on('error', reject);
  });
}
