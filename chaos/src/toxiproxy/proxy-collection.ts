/**
 * Every proxy of one Toxiproxy server, by name — Shopify/toxiproxy `proxy_collection.go`. It
 * guards the set: no two proxies of one name (409), a proxy is started before it is added, and
 * populate creates or replaces.
 */
import { ApiError, ErrProxyAlreadyExists, ErrProxyNotFound, toApiError } from './api-error.ts';
import { splitHostPort } from './address.ts';
import { Proxy } from './proxy.ts';
import type { ProxyInput } from './proxy-codec.ts';
import type { ToxiproxyRuntime } from './runtime.ts';

export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();
  private readonly runtime: ToxiproxyRuntime;

  constructor(runtime: ToxiproxyRuntime) {
    this.runtime = runtime;
  }

  /** Every proxy, by name (Go marshals the map with sorted keys). */
  list(): Proxy[] {
    return [...this.proxies.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The proxy, or the API's 404. */
  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (proxy === undefined) throw ErrProxyNotFound;
    return proxy;
  }

  /** `Add`: 409 if the name is taken; started first when `enabled`, kept only if that works. */
  async add(input: ProxyInput): Promise<Proxy> {
    if (this.proxies.has(input.name)) throw ErrProxyAlreadyExists;
    const proxy = new Proxy(input, this.runtime);
    if (input.enabled) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }

  /**
   * `AddOrReplace`: an existing proxy with the same listen and upstream is kept as it is (with its
   * toxics and state); otherwise it is stopped and replaced. A listen with port 0 matches an
   * existing proxy on the same host, so populating twice does not move the port.
   */
  async addOrReplace(input: ProxyInput): Promise<Proxy> {
    const existing = this.proxies.get(input.name);
    if (existing !== undefined) {
      if (existing.upstream === input.upstream && sameListen(existing.listen, input.listen)) return existing;
      await existing.stop();
      this.proxies.delete(input.name);
    }
    const proxy = new Proxy(input, this.runtime);
    if (input.enabled) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }

  /**
   * `PopulateJson`: applies the (already validated) proxies in order; on the first failure it
   * stops and reports the error with the proxies applied so far, as Go does.
   */
  async populate(inputs: readonly ProxyInput[]): Promise<{ proxies: Proxy[]; error?: ApiError }> {
    const proxies: Proxy[] = [];
    for (const input of inputs) {
      try {
        proxies.push(await this.addOrReplace(input));
      } catch (err) {
        return { proxies, error: toApiError(err) };
      }
    }
    return { proxies };
  }

  /** `Remove`: stops the proxy and forgets it; 404 when absent. */
  async remove(name: string): Promise<void> {
    const proxy = this.get(name);
    await proxy.stop();
    this.proxies.delete(name);
  }

  /** `Clear`: stops and removes every proxy. */
  async clear(): Promise<void> {
    for (const proxy of this.list()) await this.remove(proxy.name);
  }
}

function sameListen(current: string, requested: string): boolean {
  if (current === requested) return true;
  try {
    const want = splitHostPort(requested, 'listen');
    const have = splitHostPort(current, 'listen');
    const host = want.host === '' ? '::' : want.host === 'localhost' ? '127.0.0.1' : want.host;
    return want.port === 0 && host === have.host;
  } catch {
    return false;
  }
}
