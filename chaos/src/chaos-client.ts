/**
 * The typed client edgeproof uses to drive Toxiproxy: a small facade over toxiproxy-node-client
 * that speaks only the documented HTTP API (Shopify/toxiproxy README "HTTP API"), so it works the
 * same against the embedded server (`edgeproof chaos proxy`, startEmbeddedToxiproxy) and a real
 * Toxiproxy (`--toxiproxy http://host:8474`). Failures become ToxiproxyRequestError with the
 * HTTP status, or status undefined when the server cannot be reached.
 */
import { Toxiproxy, type ICreateToxicBody } from 'toxiproxy-node-client';
import { errorMessage, InvalidInputError } from '@edgeproof/core';
import { ProxyFaults } from './proxy-faults.ts';
import { ToxiproxyRequestError } from './toxiproxy-request-error.ts';
import type { ProxyInfo, ToxicInfo, ToxicSpec } from './toxic-spec.ts';

export type ChaosClientOptions = {
  /** Base URL of the Toxiproxy API, e.g. `http://127.0.0.1:8474`. */
  url: string;
};

export class ChaosClient {
  readonly url: string;
  private readonly toxiproxy: Toxiproxy;

  constructor(options: ChaosClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new InvalidInputError(
        `Toxiproxy URL ${JSON.stringify(options.url)} is not a URL: use http://host:8474`,
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new InvalidInputError(`Toxiproxy URL ${options.url} must be http:// or https://`);
    }
    this.url = options.url.replace(/\/+$/, '');
    this.toxiproxy = new Toxiproxy(this.url);
  }

  /** The fault primitives (partition, black hole, half-open, degrade, heal …) for one proxy. */
  faults(proxy: string): ProxyFaults {
    return new ProxyFaults(this, proxy);
  }

  /** The server's version string (`GET /version`), e.g. `2.7.0`. */
  async version(): Promise<string> {
    const text = await this.call('GET /version', () => this.toxiproxy.getVersion());
    try {
      const parsed = JSON.parse(text) as { version?: unknown };
      if (typeof parsed.version === 'string') return parsed.version;
    } catch {
      // Toxiproxy before 2.1.3 answered the bare version
    }
    return text.trim();
  }

  /** Every proxy, by name. */
  async listProxies(): Promise<Record<string, ProxyInfo>> {
    const res = await this.call('GET /proxies', () =>
      this.toxiproxy.getApi().get<Record<string, ProxyInfo>>(`${this.url}/proxies`),
    );
    return res.data;
  }

  /** The proxy with its toxics, or undefined when there is none of that name. */
  async getProxy(name: string): Promise<ProxyInfo | undefined> {
    try {
      const res = await this.call(`GET /proxies/${name}`, () =>
        this.toxiproxy.getApi().get<ProxyInfo>(this.proxyUrl(name)),
      );
      return res.data;
    } catch (err) {
      if (err instanceof ToxiproxyRequestError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Creates a proxy; 409 if the name is taken. `listen` with port 0 takes a free port. */
  async createProxy(proxy: {
    name: string;
    listen: string;
    upstream: string;
    enabled?: boolean;
  }): Promise<ProxyInfo> {
    const created = await this.call('POST /proxies', () => this.toxiproxy.createProxy(proxy));
    return {
      name: created.name,
      listen: created.listen,
      upstream: created.upstream,
      enabled: created.enabled,
      toxics: [],
    };
  }

  /**
   * Makes sure proxy `name` exists, enabled, from `listen` to `upstream`: creates it, or updates
   * one that differs (which drops its connections, as Toxiproxy does). A `listen` with port 0
   * matches an existing proxy on the same host whatever its port. Returns the proxy as it is now.
   */
  async ensureProxy(name: string, listen: string, upstream: string): Promise<ProxyInfo> {
    const current = await this.getProxy(name);
    if (current === undefined) {
      try {
        return await this.createProxy({ name, listen, upstream });
      } catch (err) {
        // Someone else created it in between: fall through to compare.
        if (!(err instanceof ToxiproxyRequestError && err.status === 409)) throw err;
        return this.ensureProxy(name, listen, upstream);
      }
    }
    const sameListen = listenMatches(current.listen, listen);
    if (current.enabled && sameListen && current.upstream === upstream) return current;
    return this.updateProxy(name, { enabled: true, listen: sameListen ? current.listen : listen, upstream });
  }

  /** Changes a proxy's fields (`POST /proxies/{proxy}`); a new listen or upstream restarts it. */
  async updateProxy(
    name: string,
    fields: { enabled: boolean; listen: string; upstream: string },
  ): Promise<ProxyInfo> {
    const res = await this.call(`POST /proxies/${name}`, () =>
      this.toxiproxy.getApi().post<ProxyInfo>(this.proxyUrl(name), fields),
    );
    return res.data;
  }

  /** Enables or disables a proxy; disabling closes its listener and every connection through it. */
  async setEnabled(name: string, enabled: boolean): Promise<ProxyInfo> {
    const current = await this.getProxy(name);
    if (current === undefined)
      throw new ToxiproxyRequestError(`Toxiproxy has no proxy ${JSON.stringify(name)}`, { status: 404 });
    if (current.enabled === enabled) return current;
    return this.updateProxy(name, { enabled, listen: current.listen, upstream: current.upstream });
  }

  /** Deletes a proxy; false when there was none. */
  async deleteProxy(name: string): Promise<boolean> {
    return this.deleteOrAbsent(`DELETE /proxies/${name}`, this.proxyUrl(name));
  }

  /** The proxy's toxics. */
  async listToxics(proxy: string): Promise<ToxicInfo[]> {
    const res = await this.call(`GET /proxies/${proxy}/toxics`, () =>
      this.toxiproxy.getApi().get<ToxicInfo[]>(`${this.proxyUrl(proxy)}/toxics`),
    );
    return res.data;
  }

  /** Adds a toxic; it applies to existing connections too. 409 if one of that name exists. */
  async addToxic(proxy: string, spec: ToxicSpec): Promise<ToxicInfo> {
    const stream = spec.stream ?? 'downstream';
    const body: ICreateToxicBody<unknown> = {
      name: spec.name ?? `${spec.type}_${stream}`,
      type: spec.type,
      stream,
      toxicity: spec.toxicity ?? 1,
      attributes: spec.attributes,
    };
    const res = await this.call(`POST /proxies/${proxy}/toxics`, () =>
      this.toxiproxy.getApi().post<ToxicInfo>(`${this.proxyUrl(proxy)}/toxics`, body),
    );
    return res.data;
  }

  /** Adds the toxic, or updates its attributes and toxicity when one of that name exists. */
  async upsertToxic(proxy: string, spec: ToxicSpec): Promise<ToxicInfo> {
    try {
      return await this.addToxic(proxy, spec);
    } catch (err) {
      if (!(err instanceof ToxiproxyRequestError && err.status === 409)) throw err;
      const name = spec.name ?? `${spec.type}_${spec.stream ?? 'downstream'}`;
      const res = await this.call(`POST /proxies/${proxy}/toxics/${name}`, () =>
        this.toxiproxy.getApi().post<ToxicInfo>(this.toxicUrl(proxy, name), {
          attributes: spec.attributes,
          toxicity: spec.toxicity ?? 1,
        }),
      );
      return res.data;
    }
  }

  /** Removes a toxic; false when there was none. */
  async removeToxic(proxy: string, toxic: string): Promise<boolean> {
    return this.deleteOrAbsent(`DELETE /proxies/${proxy}/toxics/${toxic}`, this.toxicUrl(proxy, toxic));
  }

  /** `POST /reset`: enables every proxy and removes every toxic. */
  async reset(): Promise<void> {
    await this.call('POST /reset', () => this.toxiproxy.reset());
  }

  private proxyUrl(name: string): string {
    return `${this.url}/proxies/${encodeURIComponent(name)}`;
  }

  private toxicUrl(proxy: string, toxic: string): string {
    return `${this.proxyUrl(proxy)}/toxics/${encodeURIComponent(toxic)}`;
  }

  private async deleteOrAbsent(what: string, url: string): Promise<boolean> {
    try {
      await this.call(what, () => this.toxiproxy.getApi().delete(url));
      return true;
    } catch (err) {
      if (err instanceof ToxiproxyRequestError && err.status === 404) return false;
      throw err;
    }
  }

  /**
   * Runs a client call, turning toxiproxy-node-client's errors (it reports only
   * "Request failed with status code N", or fetch's own error) into ToxiproxyRequestError.
   */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const message = errorMessage(err);
      const status = /status code (\d{3})/.exec(message)?.[1];
      if (status !== undefined) {
        throw new ToxiproxyRequestError(`Toxiproxy ${this.url}: ${what} failed with HTTP ${status}`, {
          status: Number(status),
          cause: err,
        });
      }
      throw new ToxiproxyRequestError(
        `cannot reach Toxiproxy at ${this.url} (${what}: ${message}): start one with 'edgeproof chaos proxy' or point --toxiproxy at a running one`,
        { cause: err },
      );
    }
  }
}

/** Whether a proxy listening on `actual` satisfies a request for `requested` (port 0 = any). */
export function listenMatches(actual: string, requested: string): boolean {
  if (actual === requested) return true;
  const split = (a: string): [string, string] => {
    const i = a.lastIndexOf(':');
    return [a.slice(0, i).replace(/^\[|\]$/g, ''), a.slice(i + 1)];
  };
  const [wantHost, wantPort] = split(requested);
  const [haveHost] = split(actual);
  const norm = (h: string): string =>
    h === 'localhost' ? '127.0.0.1' : h === '' || h === '0.0.0.0' ? '::' : h;
  return (wantPort === '0' || wantPort === '') && norm(wantHost) === norm(haveHost);
}
