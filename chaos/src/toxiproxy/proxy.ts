/**
 * A named TCP proxy: listens on `listen`, connects each client to `upstream`, and runs the
 * proxy's toxics on both directions — Shopify/toxiproxy `proxy.go`. Disabling it closes the
 * listener and every connection through it (`stop`); enabling it listens again. When `listen`
 * has port 0 a free port is taken and `listen` then holds the real address, as in Go
 * (`proxy.Listen = listener.Addr().String()`), so a disable/enable keeps the port.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { errorMessage, type Logger } from '@edgeproof/core';
import { bindError, joinHostPort, resolveListen, splitHostPort } from './address.ts';
import { ProxyConnection } from './proxy-connection.ts';
import { ToxicCollection } from './toxic-collection.ts';
import { toxicJson } from './toxic-codec.ts';
import type { ToxiproxyRuntime } from './runtime.ts';

export type ProxyJson = {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ReturnType<typeof toxicJson>[];
};

export class Proxy {
  readonly name: string;
  listen: string;
  upstream: string;
  enabled = false;
  readonly toxics = new ToxicCollection();
  private readonly runtime: ToxiproxyRuntime;
  private readonly log: Logger;
  private server: Server | undefined;
  private readonly connections = new Set<ProxyConnection>();
  /** Clients whose upstream connection is still being opened. */
  private readonly pending = new Set<Socket>();

  constructor(config: { name: string; listen: string; upstream: string }, runtime: ToxiproxyRuntime) {
    this.name = config.name;
    this.listen = config.listen;
    this.upstream = config.upstream;
    this.runtime = runtime;
    this.log = runtime.logger;
  }

  /** Starts listening; a no-op when enabled (proxy.go `start`: ErrProxyAlreadyStarted). */
  async start(): Promise<void> {
    if (this.enabled) return;
    const { host, port } = await resolveListen(this.listen);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (c) => this.accept(c));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      throw bindError(joinHostPort(host ?? '', port), err as NodeJS.ErrnoException);
    }
    server.on('error', (err) =>
      this.log.warn('Error while accepting client', { proxy: this.name, err: errorMessage(err) }),
    );
    const address = server.address() as AddressInfo;
    this.listen = joinHostPort(address.address, address.port);
    this.server = server;
    this.enabled = true;
    this.log.info('Started proxy', { name: this.name, proxy: this.listen, upstream: this.upstream });
  }

  /** Stops listening and closes every connection (proxy.go `stop`). */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
    for (const connection of this.connections) connection.destroy();
    for (const client of this.pending) client.destroy();
    await closed;
    this.log.info('Terminated proxy', { name: this.name, proxy: this.listen, upstream: this.upstream });
  }

  /**
   * proxy.go `Update`: a new listen or upstream restarts the proxy (dropping its connections);
   * then `enabled` starts or stops it.
   */
  async update(input: { listen: string; upstream: string; enabled: boolean }): Promise<void> {
    if (input.listen !== this.listen || input.upstream !== this.upstream) {
      await this.stop();
      this.listen = input.listen;
      this.upstream = input.upstream;
    }
    if (input.enabled !== this.enabled) {
      if (input.enabled) await this.start();
      else await this.stop();
    }
  }

  /** The proxy as the API shows it, with its toxics (api.go `proxyWithToxics`). */
  toJSON(): ProxyJson {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: this.toxics.list().map(toxicJson),
    };
  }

  /** proxy.go `accept`: dial the upstream; on failure close the client and log. */
  private accept(client: Socket): void {
    const fields = {
      name: this.name,
      client: `${client.remoteAddress}:${client.remotePort}`,
      proxy: this.listen,
      upstream: this.upstream,
    };
    this.log.debug('Accepted client', fields);
    client.on('error', (err) => this.log.debug('client error', { ...fields, err: errorMessage(err) }));
    let target;
    try {
      target = splitHostPort(this.upstream, 'dial');
    } catch (err) {
      this.log.error('Unable to open connection to upstream', { ...fields, err: errorMessage(err) });
      client.destroy();
      return;
    }
    this.pending.add(client);
    const upstream = connect({
      host: target.host === '' ? 'localhost' : target.host,
      port: target.port,
      allowHalfOpen: true,
    });
    const failed = (err: Error): void => {
      this.pending.delete(client);
      this.log.error('Unable to open connection to upstream', { ...fields, err: errorMessage(err) });
      client.destroy();
    };
    upstream.once('error', failed);
    upstream.once('connect', () => {
      upstream.off('error', failed);
      this.pending.delete(client);
      if (!this.enabled || client.destroyed) {
        upstream.destroy();
        client.destroy();
        return;
      }
      const connection = new ProxyConnection(client, upstream, this.toxics, this.runtime);
      this.connections.add(connection);
      void connection.run().then(() => this.connections.delete(connection));
      client.resume();
    });
  }
}
