/**
 * MetaServer's request handling: version, health, discovery, get, list and watch, each read from
 * the store; every failure a Kubernetes `Status` (kubectl-contract.md §8); writes a 405.
 * Synchronous apart from watch streams, so no request can leave a promise behind.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { arch, platform } from 'node:os';
import { errorMessage, ApiError, badRequest, notFound, type Clock, type Logger } from '@edgeproof/core';
import type { MetaStore } from '../metamanager/store.ts';
import type { ChangeFeed } from './change-feed.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import { filterOf, getObject, listObjects, type KubeObject } from './objects.ts';
import { groupVersionOf, type ServedResource } from './resources.ts';
import { routeOf } from './routes.ts';
import { pathNotFound, readOnly } from './status.ts';
import { parseIncludeObject, renderTable, wantsTable } from './table.ts';
import { WatchStream } from './watch-stream.ts';

/**
 * `/version`. `/usr/bin/kubectl` is the gcloud dispatcher, which picks `kubectl.1.<minor>` from
 * this reply, so the minor must be one it has: 32 (kubectl-contract.md §0). The kubelet edgeproof
 * reports is 1.32 too (edgecore.ts).
 */
const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4-edgeproof-metaserver',
  gitCommit: '',
  gitTreeState: 'clean',
  buildDate: '1970-01-01T00:00:00Z',
  goVersion: '',
  compiler: 'edgeproof',
  platform: `${platform()}/${arch() === 'x64' ? 'amd64' : arch()}`,
};

export interface HandlerOptions {
  store: MetaStore;
  feed: ChangeFeed;
  clock: Clock;
  logger: Logger;
  /** `host:port` clients reach this server at (for `/api`). */
  serverAddress: () => string;
  bookmarkIntervalMs: number;
  maxWatchBufferedBytes: number;
}

export class RequestHandler {
  private readonly o: HandlerOptions;
  private readonly watches = new Set<WatchStream>();

  constructor(options: HandlerOptions) {
    this.o = options;
  }

  /** Answers one request; never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    // Bodies are never read (no verb here takes one); drain them so keep-alive goes on.
    req.resume();
    try {
      this.route(req, res);
    } catch (err) {
      this.fail(req, res, err);
    }
  }

  /** Ends every open watch (server stop); resolves when their responses are closed. */
  async endWatches(): Promise<void> {
    await Promise.all([...this.watches].map((w) => w.end()));
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    const route = routeOf(path);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      throw route.kind === 'notFound' ? pathNotFound() : readOnly(method, path);
    }
    switch (route.kind) {
      case 'version':
        return json(res, 200, VERSION);
      case 'health':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('ok');
        return;
      case 'apiVersions':
        return json(res, 200, apiVersions(this.o.serverAddress()));
      case 'apiGroupList':
        return json(res, 200, apiGroupList());
      case 'apiGroup':
        return json(res, 200, apiGroup(route.group) ?? notServed());
      case 'apiResourceList':
        return json(res, 200, apiResourceList(route.group, route.version) ?? notServed());
      case 'objects':
        if (route.name !== undefined)
          return this.get(req, res, route.resource, route.namespace, route.name, query);
        return this.listOrWatch(req, res, route.resource, route.namespace, query);
      case 'notFound':
        throw pathNotFound();
    }
  }

  private get(
    req: IncomingMessage,
    res: ServerResponse,
    resource: ServedResource,
    namespace: string | undefined,
    name: string,
    query: URLSearchParams,
  ): void {
    const object = getObject(this.o.store, resource, namespace, name, this.o.logger);
    if (object === undefined) throw notFound(resource.plural, resource.group, name);
    if (!wantsTable(req.headers.accept)) return json(res, 200, object);
    const rv = object.metadata?.['resourceVersion'];
    return json(res, 200, this.table(resource, [object], query, typeof rv === 'string' ? rv : ''));
  }

  private listOrWatch(
    req: IncomingMessage,
    res: ServerResponse,
    resource: ServedResource,
    namespace: string | undefined,
    query: URLSearchParams,
  ): void {
    // Everything that can be a 400 is checked before a watch writes its 200.
    const filter = filterOf(resource, namespace, query);
    const resourceVersion = parseResourceVersion(query.get('resourceVersion'));
    const asTable = wantsTable(req.headers.accept);
    const includeObject = parseIncludeObject(query.get('includeObject'));
    const { store, logger } = this.o;
    // A HEAD has no body to stream: it is answered as the list.
    if (isTrue(query.get('watch')) && req.method !== 'HEAD') {
      const watch = new WatchStream(
        res,
        {
          filter,
          resourceVersion: resourceVersion === 0 ? undefined : resourceVersion,
          sendInitialEvents: isTrue(query.get('sendInitialEvents')),
          allowBookmarks: isTrue(query.get('allowWatchBookmarks')),
          timeoutSeconds: parseTimeoutSeconds(query.get('timeoutSeconds')),
          asTable,
          includeObject,
        },
        {
          feed: this.o.feed,
          clock: this.o.clock,
          log: logger,
          current: () => listObjects(store, filter, logger),
          bookmarkIntervalMs: this.o.bookmarkIntervalMs,
          maxBufferedBytes: this.o.maxWatchBufferedBytes,
        },
      );
      this.watches.add(watch);
      void watch.done.then(() => this.watches.delete(watch));
      watch.start();
      return;
    }
    // `limit` and `continue` are ignored: the whole list is one page, which kubectl accepts (§2).
    const items = listObjects(store, filter, logger);
    const rv = String(this.o.feed.highestResourceVersion());
    if (asTable) return json(res, 200, this.table(resource, items, query, rv));
    return json(res, 200, {
      kind: `${resource.kind}List`,
      apiVersion: groupVersionOf(resource),
      metadata: { resourceVersion: rv },
      items,
    });
  }

  private table(
    resource: ServedResource,
    objects: KubeObject[],
    query: URLSearchParams,
    rv: string,
  ): unknown {
    return renderTable(resource, objects, {
      now: this.o.clock.now(),
      resourceVersion: rv,
      includeObject: parseIncludeObject(query.get('includeObject')),
    });
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    let status: ApiError;
    if (err instanceof ApiError) {
      status = err;
    } else {
      this.o.logger.error('request failed', { method: req.method, url: req.url, error: errorMessage(err) });
      status = new ApiError(500, 'InternalError', `an error on the edge MetaServer: ${errorMessage(err)}`);
    }
    if (res.headersSent) {
      // A watch already answered 200: the only way to report is to cut it.
      res.destroy();
      return;
    }
    json(res, status.code, status.toStatus());
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function notServed(): never {
  throw pathNotFound();
}

const isTrue = (value: string | null): boolean => value === 'true' || value === '1';

/** `resourceVersion`: unset, or an unsigned integer (kube-apiserver: 400 "invalid resource version"). */
function parseResourceVersion(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value))
    throw badRequest(`invalid resource version "${value}": it must be an unsigned integer`);
  return Number(value);
}

function parseTimeoutSeconds(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value))
    throw badRequest(`invalid timeoutSeconds "${value}": it must be a whole number of seconds`);
  return Number(value) === 0 ? undefined : Number(value);
}
