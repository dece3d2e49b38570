/**
 * A client connection through a proxy: the client socket, the socket to the upstream, and the two
 * links between them (proxy.go `accept`: `StartLink(name+"upstream", client, upstream)` and
 * `StartLink(name+"downstream", upstream, client)`). It is over when both sockets have closed.
 */
import type { Socket } from 'node:net';
import { errorMessage } from '@edgeproof/core';
import type { ToxicCollection } from './toxic-collection.ts';
import { ToxicLink } from './toxic-link.ts';
import type { ToxiproxyRuntime } from './runtime.ts';

export class ProxyConnection {
  readonly name: string;
  private readonly client: Socket;
  private readonly upstream: Socket;
  private readonly links: ToxicLink[];
  private readonly toxics: ToxicCollection;

  constructor(client: Socket, upstream: Socket, toxics: ToxicCollection, runtime: ToxiproxyRuntime) {
    this.name = `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`;
    this.client = client;
    this.upstream = upstream;
    this.toxics = toxics;
    const onReset = (): void => this.reset();
    this.links = [
      new ToxicLink({
        direction: 'upstream',
        chain: toxics.chain('upstream'),
        source: client,
        dest: upstream,
        runtime,
        onReset,
      }),
      new ToxicLink({
        direction: 'downstream',
        chain: toxics.chain('downstream'),
        source: upstream,
        dest: client,
        runtime,
        onReset,
      }),
    ];
    const log = runtime.logger;
    for (const socket of [client, upstream]) {
      // Go sets TCP_NODELAY on every connection; without it Nagle's algorithm would add its own
      // delay to small writes and blur what the toxics do.
      socket.setNoDelay(true);
      socket.on('error', (err) =>
        log.debug('connection error', { connection: this.name, err: errorMessage(err) }),
      );
    }
  }

  /** Starts both links; resolves when both sockets have closed. */
  run(): Promise<void> {
    for (const link of this.links) this.toxics.addLink(link);
    for (const link of this.links) link.start();
    const closed = (s: Socket): Promise<void> =>
      s.destroyed && s.closed ? Promise.resolve() : new Promise((r) => s.once('close', () => r()));
    return Promise.all([closed(this.client), closed(this.upstream)]).then(() => {
      for (const link of this.links) {
        link.dispose();
        this.toxics.removeLink(link);
      }
    });
  }

  /** Closes both sockets (proxy.go `stop`: `conn.Close()` on every connection). */
  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  /** A TCP RST to both ends (Go: SO_LINGER 0, then Close). */
  reset(): void {
    for (const socket of [this.client, this.upstream]) if (!socket.destroyed) socket.resetAndDestroy();
  }
}
