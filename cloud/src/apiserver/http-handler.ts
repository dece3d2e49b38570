/**
 * The HTTP face of the embedded API server: maps Kubernetes REST requests onto the Registry and
 * renders replies the way kubectl and client-go expect them (kubectl-contract.md, request by
 * request). Every failure is a Kubernetes `Status`; no request can take the process down.
 *
 * Why hand-written rather than a library: no npm package implements the Kubernetes API server
 * protocol (discovery negotiation, Table output, watch framing, patch types, protobuf bodies);
 * the closest, k3s/kine, are Go. So the protocol is written here, against observed kubectl traffic.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Logger } from '@edgeproof/core';
import { errorMessage } from '@edgeproof/core';
import { ApiError, badRequest, methodNotAllowed } from './status.ts';
import { parseRoute, type ResourceRoute } from './http-routes.ts';
import { decodeBody, mediaTypeOf, readBody } from './request-body.ts';
import type { DeleteOptions, FieldValidation, Registry, WatchEvent } from './registry.ts';
import { apiVersionOf, type KubeObject, type ResourceType } from './types.ts';
import { bearerTokenMatches } from './auth.ts';
import { isPlainObject } from './object-fields.ts';
import type { ServiceAccountTokenIssuer } from './service-account-tokens.ts';
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  negotiateDiscovery,
  openApiV3Document,
  openApiV3Index,
  renderTable,
  wantsTable,
} from './catalog/index.ts';

/** What `/version` reports. The kubectl dispatcher picks its kubectl by `minor` (kubectl-contract.md §0). */
export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4-edgeproof',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const;

export type HandlerOptions = {
  registry: Registry;
  token: string;
  clock: Clock;
  logger: Logger;
  /** The URL clients reach the server at, for discovery's serverAddressByClientCIDRs. */
  serverAddress: () => string;
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK. */
  bookmarkIntervalMs?: number;
  /** Unsent bytes a watch may hold before it is closed as unresponsive (default 16 MiB). */
  maxWatchBufferBytes?: number;
  /** Upper bound of a watch's life (kube: --min-request-timeout 1800 s, randomised). */
  maxWatchSeconds?: number;
  /** Whether startup has finished (for /readyz). */
  ready: () => boolean;
  /** Answers `serviceaccounts/<name>/token` (TokenRequest). */
  tokens: ServiceAccountTokenIssuer;
};

/** Paths open without a token, as kube's system:public-info-viewer role allows. */
const PUBLIC_ROUTES = new Set(['version', 'health']);

export class ApiHttpHandler {
  private readonly options: HandlerOptions;
  private readonly openWatches = new Set<() => void>();

  constructor(options: HandlerOptions) {
    this.options = options;
  }

  /** Ends every open watch stream (on shutdown). */
  closeWatches(): void {
    for (const close of [...this.openWatches]) close();
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((err: unknown) => this.fail(req, res, err));
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://apiserver.invalid');
    const route = parseRoute(url.pathname);
    if (
      !PUBLIC_ROUTES.has(route.kind) &&
      !bearerTokenMatches(req.headers.authorization, this.options.token)
    ) {
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }
    const method = req.method ?? 'GET';
    const types = this.options.registry.types;
    const accept = req.headers.accept ?? '';
    const onlyGet = (): void => {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method, url.pathname);
    };
    switch (route.kind) {
      case 'version':
        onlyGet();
        return this.json(res, 200, SERVER_VERSION);
      case 'health': {
        onlyGet();
        const ok = route.check !== 'readyz' || this.options.ready();
        res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(ok ? 'ok' : 'not ready: still starting');
        return;
      }
      case 'core-versions':
      case 'groups': {
        onlyGet();
        const which = route.kind === 'core-versions' ? 'api' : 'apis';
        const negotiated = negotiateDiscovery(accept);
        if (negotiated.format !== 'legacy') {
          return this.json(
            res,
            200,
            aggregatedDiscovery(types.all(), which, negotiated.format),
            negotiated.contentType,
          );
        }
        return this.json(
          res,
          200,
          which === 'api' ? apiVersions(this.options.serverAddress()) : apiGroupList(types.all()),
        );
      }
      case 'group': {
        onlyGet();
        const group = apiGroup(route.group, types.all());
        if (!group) throw notFoundPath(url.pathname);
        return this.json(res, 200, group);
      }
      case 'resource-list': {
        onlyGet();
        if (!types.groupVersionServed(route.group, route.version)) throw notFoundPath(url.pathname);
        const gv = route.group ? `${route.group}/${route.version}` : route.version;
        return this.json(res, 200, apiResourceList(gv, types.all()));
      }
      case 'openapi-v3-index':
        onlyGet();
        return this.json(res, 200, openApiV3Index(types.all()));
      case 'openapi-v3-doc': {
        onlyGet();
        const served = types.all().filter((t) => openApiPath(t) === route.path);
        if (served.length === 0) throw notFoundPath(url.pathname);
        return this.json(res, 200, openApiV3Document(served));
      }
      case 'openapi-v2':
        // kubectl 1.29+ uses v3; a 404 here makes it fall back to its built-in patch metadata
        // (kubectl-contract.md §3).
        throw notFoundPath(url.pathname);
      case 'unknown':
        throw notFoundPath(url.pathname);
      case 'resource':
        return this.resource(req, res, route, url);
    }
  }

  private async resource(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    url: URL,
  ): Promise<void> {
    const registry = this.options.registry;
    const type = registry.types.find(route.group, route.version, route.plural);
    if (!type) throw notFoundPath(url.pathname);
    if (route.namespace !== undefined && !type.namespaced) throw notFoundPath(url.pathname);
    // A namespaced type addressed without a namespace is a cluster-wide list/watch only.
    if (type.namespaced && route.namespace === undefined && route.name !== undefined)
      throw notFoundPath(url.pathname);
    const sub = route.subresource;
    if (
      sub === 'token' &&
      route.group === '' &&
      route.plural === 'serviceaccounts' &&
      route.name !== undefined
    ) {
      return this.serviceAccountToken(req, res, route.namespace, route.name);
    }
    const isScale = sub === 'scale' && type.scale !== undefined;
    if (sub !== undefined && !(sub === 'status' && type.statusSubresource) && !isScale) {
      throw notFoundPath(url.pathname);
    }
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const ns = route.namespace;
    const name = route.name;
    const write = {
      dryRun: q.getAll('dryRun').includes('All'),
      fieldValidation: parseFieldValidation(q.get('fieldValidation')),
    };

    if (name === undefined) {
      switch (method) {
        case 'GET':
          if (isTrue(q.get('watch'))) return this.watch(req, res, type, ns, q);
          return this.list(req, res, type, ns, q);
        case 'POST': {
          const body = decodeBody(await readBody(req), req.headers['content-type']);
          const result = registry.create(type, ns, body, write);
          return this.json(res, 201, result.object, undefined, result.warnings);
        }
        case 'DELETE': {
          const options = deleteOptions(await readOptionalJson(req), q);
          const result = registry.deleteCollection(type, ns, listOptions(q), options);
          return this.json(res, 200, listObject(type, result.items, result.resourceVersion));
        }
        default:
          throw methodNotAllowed(method, url.pathname);
      }
    }

    switch (method) {
      case 'GET': {
        if (isTrue(q.get('watch'))) {
          q.set('fieldSelector', `metadata.name=${name}`);
          return this.watch(req, res, type, ns, q);
        }
        if (isScale) return this.json(res, 200, registry.getScale(type, ns, name));
        const obj = registry.get(type, ns, name);
        if (wantsTable(req.headers.accept ?? '')) {
          return this.json(res, 200, this.table(type, [obj], q, registry.currentResourceVersion()));
        }
        return this.json(res, 200, obj);
      }
      case 'PUT': {
        const body = decodeBody(await readBody(req), req.headers['content-type']);
        if (isScale) return this.json(res, 200, registry.updateScale(type, ns, name, body, write));
        const result = registry.update(type, ns, name, body, {
          ...write,
          ...(sub === 'status' ? { subresource: 'status' } : {}),
        });
        return this.json(res, 200, result.object, undefined, result.warnings);
      }
      case 'PATCH': {
        const contentType = req.headers['content-type'] ?? '';
        const body = decodeBody(await readBody(req), contentType);
        if (isScale) {
          return this.json(
            res,
            200,
            registry.patchScale(type, ns, name, mediaTypeOf(contentType), body, write),
          );
        }
        const result = registry.patch(type, ns, name, mediaTypeOf(contentType), body, {
          ...write,
          ...(sub === 'status' ? { subresource: 'status' } : {}),
          force: isTrue(q.get('force')),
        });
        return this.json(res, result.created ? 201 : 200, result.object, undefined, result.warnings);
      }
      case 'DELETE': {
        if (sub !== undefined) throw methodNotAllowed(method, url.pathname);
        const options = deleteOptions(await readOptionalJson(req), q);
        return this.json(res, 200, registry.delete(type, ns, name, options));
      }
      default:
        throw methodNotAllowed(method, url.pathname);
    }
  }

  /** TokenRequest for a service account that exists (POST only), as kube-apiserver answers it: 201. */
  private async serviceAccountToken(
    req: IncomingMessage,
    res: ServerResponse,
    namespace: string | undefined,
    name: string,
  ): Promise<void> {
    if (req.method !== 'POST') throw methodNotAllowed(req.method ?? 'GET', req.url ?? '');
    const registry = this.options.registry;
    const type = registry.types.find('', 'v1', 'serviceaccounts');
    if (!type || namespace === undefined) throw badRequest('a service account token needs a namespace');
    const serviceAccount = registry.get(type, namespace, name);
    const body = decodeBody(await readBody(req), req.headers['content-type']);
    const token = await this.options.tokens.issue(serviceAccount, body, this.options.clock.now());
    return this.json(res, 201, token);
  }

  private list(
    req: IncomingMessage,
    res: ServerResponse,
    type: ResourceType,
    ns: string | undefined,
    q: URLSearchParams,
  ): Promise<void> {
    const result = this.options.registry.list(type, ns, listOptions(q));
    if (wantsTable(req.headers.accept ?? '')) {
      return this.json(res, 200, this.table(type, result.items, q, result.resourceVersion, result.continue));
    }
    return this.json(res, 200, listObject(type, result.items, result.resourceVersion, result.continue));
  }

  /**
   * A watch stream: chunked newline-delimited JSON events (kubectl-contract.md §5). An expired
   * resourceVersion is sent as an ERROR event with a 410 Status, as kube's watch cache does.
   */
  private async watch(
    req: IncomingMessage,
    res: ServerResponse,
    type: ResourceType,
    ns: string | undefined,
    q: URLSearchParams,
  ): Promise<void> {
    const { clock, registry } = this.options;
    // Start from committed state only: the initial events and the resourceVersions the client
    // gets must survive a crash.
    await registry.settled();
    if (res.destroyed) return; // the client left while the commit was pending
    const asTable = wantsTable(req.headers.accept ?? '');
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache',
    });
    res.flushHeaders();
    const maxBuffered = this.options.maxWatchBufferBytes ?? 16 * 1024 * 1024;
    const send = (event: { type: string; object: unknown }): void => {
      if (res.writableEnded) return;
      res.write(JSON.stringify(event) + '\n');
      // A client that stops reading must not make the server buffer without bound: close its
      // watch, as kube's watch cache closes unresponsive watchers; the client relists.
      if (res.writableLength > maxBuffered) {
        this.options.logger.warn('closing a watch whose client does not keep up', {
          resource: type.plural,
          bufferedBytes: res.writableLength,
        });
        close();
        res.destroy();
      }
    };
    let lastRv = q.get('resourceVersion') ?? '';
    const timers: { cancel(): void }[] = [];
    let unsubscribe: (() => void) | undefined;
    const close = (): void => {
      unsubscribe?.();
      for (const t of timers) t.cancel();
      this.openWatches.delete(close);
      if (!res.writableEnded) res.end();
    };
    this.openWatches.add(close);
    res.on('close', close);
    const onEvent = (event: WatchEvent): void => {
      lastRv = event.object.metadata.resourceVersion ?? lastRv;
      send({
        type: event.type,
        object: asTable ? this.table(type, [event.object], q, lastRv) : event.object,
      });
    };
    try {
      unsubscribe = registry.watch(
        type,
        ns,
        {
          ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector') ?? '' } : {}),
          ...(q.get('fieldSelector') ? { fieldSelector: q.get('fieldSelector') ?? '' } : {}),
          resourceVersion: q.get('resourceVersion') ?? '',
        },
        onEvent,
      );
    } catch (err) {
      if (err instanceof ApiError) {
        send({ type: 'ERROR', object: err.toStatus() });
        close();
        return;
      }
      throw err;
    }
    if (isTrue(q.get('allowWatchBookmarks'))) {
      timers.push(
        clock.setInterval(() => {
          const rv = registry.currentResourceVersion();
          lastRv = rv;
          send({
            type: 'BOOKMARK',
            object: { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: rv } },
          });
        }, this.options.bookmarkIntervalMs ?? 30_000),
      );
    }
    const max = this.options.maxWatchSeconds ?? 1800;
    const requested = Number(q.get('timeoutSeconds') ?? '0');
    const seconds = requested > 0 ? Math.min(requested, max) : max * (1 + Math.random());
    timers.push(clock.setTimeout(close, seconds * 1000));
  }

  private table(
    type: ResourceType,
    items: KubeObject[],
    q: URLSearchParams,
    resourceVersion: string,
    continueToken?: string,
  ): unknown {
    const include = q.get('includeObject');
    return renderTable(type, items, {
      now: this.options.clock.now(),
      includeObject: include === 'Object' || include === 'None' ? include : 'Metadata',
      resourceVersion,
      ...(continueToken ? { continueToken } : {}),
    });
  }

  /**
   * Answers once every write made so far is committed (Storage: grouped commits), so that a
   * client never sees, or is told it made, a change the disk does not have.
   */
  private async json(
    res: ServerResponse,
    code: number,
    body: unknown,
    contentType = 'application/json',
    warnings: string[] = [],
  ): Promise<void> {
    await this.options.registry.settled();
    this.writeJson(res, code, body, contentType, warnings);
  }

  private writeJson(
    res: ServerResponse,
    code: number,
    body: unknown,
    contentType = 'application/json',
    warnings: string[] = [],
  ): void {
    const text = JSON.stringify(body);
    const headers: Record<string, string | string[]> = {
      'Content-Type': contentType,
      'Content-Length': String(Buffer.byteLength(text)),
    };
    // RFC 7234 warn-code 299, as kube-apiserver sends field validation warnings (kubectl-contract.md §8).
    if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    res.writeHead(code, headers);
    res.end(text);
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const apiError =
      err instanceof ApiError
        ? err
        : new ApiError(
            500,
            'InternalError',
            `an error on the server (${errorMessage(err)}) has prevented the request from succeeding`,
          );
    if (apiError.code >= 500) {
      this.options.logger.error('request failed', { method: req.method, url: req.url, err });
    } else {
      this.options.logger.debug('request refused', {
        method: req.method,
        url: req.url,
        code: apiError.code,
        reason: apiError.reason,
      });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A refusal reports no write, so it need not wait for a commit (and a failed commit lands here).
    this.writeJson(res, apiError.code, apiError.toStatus());
  }
}

/** The /openapi/v3 path of a type's group/version: `api/v1` or `apis/<group>/<version>`. */
export function openApiPath(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? `api/${t.version}` : `apis/${t.group}/${t.version}`;
}

function notFoundPath(path: string): ApiError {
  return new ApiError(404, 'NotFound', `the server could not find the requested resource`, { kind: path });
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

function parseFieldValidation(value: string | null): FieldValidation {
  switch (value) {
    case null:
    case '':
    case 'Ignore':
      return 'Ignore';
    case 'Warn':
    case 'Strict':
      return value;
    default:
      throw badRequest(`fieldValidation must be one of Ignore, Warn or Strict, not ${JSON.stringify(value)}`);
  }
}

function listOptions(q: URLSearchParams): {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
} {
  const limitText = q.get('limit');
  let limit: number | undefined;
  if (limitText !== null && limitText !== '') {
    limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      throw badRequest(`limit must be a non-negative integer, not ${JSON.stringify(limitText)}`);
  }
  return {
    ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector') ?? '' } : {}),
    ...(q.get('fieldSelector') ? { fieldSelector: q.get('fieldSelector') ?? '' } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(q.get('continue') ? { continue: q.get('continue') ?? '' } : {}),
  };
}

function listObject(
  type: ResourceType,
  items: KubeObject[],
  resourceVersion: string,
  continueToken?: string,
): unknown {
  return {
    kind: type.listKind,
    apiVersion: apiVersionOf(type),
    metadata: { resourceVersion, ...(continueToken ? { continue: continueToken } : {}) },
    items,
  };
}

async function readOptionalJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  if (body.length === 0) return undefined;
  return decodeBody(body, req.headers['content-type'] ?? 'application/json');
}

/** DeleteOptions from the body (kubectl sends `{"propagationPolicy":"Background"}`) or the query. */
function deleteOptions(body: unknown, q: URLSearchParams): DeleteOptions {
  const b = isPlainObject(body) ? body : {};
  const policy = b.propagationPolicy ?? q.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
    throw badRequest(
      `propagationPolicy must be Foreground, Background or Orphan, not ${JSON.stringify(policy)}`,
    );
  }
  const grace =
    b.gracePeriodSeconds ??
    (q.get('gracePeriodSeconds') !== null ? Number(q.get('gracePeriodSeconds')) : undefined);
  if (grace !== undefined && (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0)) {
    throw badRequest('gracePeriodSeconds must be a non-negative integer');
  }
  const pre = isPlainObject(b.preconditions) ? b.preconditions : undefined;
  return {
    ...(policy ? { propagationPolicy: policy } : {}),
    ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    ...(pre
      ? {
          preconditions: {
            ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
            ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
          },
        }
      : {}),
    dryRun: (Array.isArray(b.dryRun) && b.dryRun.includes('All')) || q.getAll('dryRun').includes('All'),
  };
}
