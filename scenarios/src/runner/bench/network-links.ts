/**
 * The bench's network links, each a Toxiproxy proxy (through the chaos facade, @edgeproof/chaos),
 * so a partition is a real one on the wire: per edge node `<node>-cloudhub` (the WebSocket hub)
 * and `<node>-certs` (the certificate server), and per simulated device `<node>-<kind>` (the
 * mapper on that node → the simulator). Edges and mappers dial the proxies, never the peer.
 * With a shared Toxiproxy (`--toxiproxy URL`) names carry the run id, so runs do not collide.
 */
import { ChaosClient, LinkFlapper, ProxyFaults } from '@edgeproof/chaos';
import type { Clock, Logger } from '@edgeproof/core';
import type { DeviceKind, PartitionMode } from '../scenario-types.ts';

/** A node's links to the cloud, and the mapper → device links (on the node the devices hang off). */
export type LinkName = 'cloudhub' | 'certs' | DeviceKind;

/** What partition, degrade, flap and heal of a node act on: its links to the cloud. */
const CLOUD_LINKS: readonly LinkName[] = ['cloudhub', 'certs'];

export type FlapSpec = { downMs: number; upMs: number; times: number; mode: 'clean-close' | 'blackhole' };

export class NetworkLinks {
  private readonly client: ChaosClient;
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  /** Proxy names by node, and what each listens on. */
  private readonly byNode = new Map<string, Map<LinkName, { proxy: string; port: number }>>();
  private readonly flappers = new Set<LinkFlapper>();

  constructor(options: { url: string; prefix: string; clock: Clock; logger: Logger }) {
    this.client = new ChaosClient({ url: options.url });
    this.prefix = options.prefix;
    this.clock = options.clock;
    this.logger = options.logger;
  }

  get url(): string {
    return this.client.url;
  }

  /** Creates (or resets) the proxy for one link of `node` to `upstream`; returns its port. */
  async create(node: string, link: LinkName, upstream: string): Promise<number> {
    const proxy = `${this.prefix}${node}-${link}`;
    // A proxy of that name left by an earlier run on a shared server is replaced.
    await this.client.deleteProxy(proxy);
    const info = await this.client.createProxy({ name: proxy, listen: '127.0.0.1:0', upstream });
    const port = Number(info.listen.slice(info.listen.lastIndexOf(':') + 1));
    const links = this.byNode.get(node) ?? new Map<LinkName, { proxy: string; port: number }>();
    links.set(link, { proxy, port });
    this.byNode.set(node, links);
    return port;
  }

  /** The port of a link's proxy. */
  port(node: string, link: LinkName): number {
    const p = this.byNode.get(node)?.get(link)?.port;
    if (p === undefined) throw new RangeError(`no ${link} link for ${node}`);
    return p;
  }

  /** Cuts every link of the nodes (see ProxyFaults for what each mode does on the wire). */
  async partition(nodes: readonly string[], mode: PartitionMode): Promise<void> {
    await this.each(nodes, async (f) => {
      switch (mode) {
        case 'clean-close':
          return f.partition();
        case 'blackhole':
          return f.blackHole();
        case 'half-open':
          return f.halfOpen('downstream');
      }
    });
  }

  /** Latency ± jitter, a bandwidth cap and/or slicing on every link of the nodes, both ways. */
  async degrade(
    nodes: readonly string[],
    o: {
      latencyMs?: number;
      jitterMs?: number;
      rateKBps?: number;
      sliceBytes?: number;
      sliceVariationBytes?: number;
      sliceDelayUs?: number;
    },
  ): Promise<void> {
    await this.each(nodes, (f) => f.degrade(o));
  }

  /** Flaps every link of the nodes together; resolves when the last cycle has ended up. */
  async flap(nodes: readonly string[], spec: FlapSpec, signal: AbortSignal): Promise<void> {
    const flappers = this.faultsOf(nodes).map(
      (f) =>
        new LinkFlapper(f, {
          downMs: spec.downMs,
          upMs: spec.upMs,
          cycles: spec.times,
          fault: spec.mode === 'blackhole' ? 'black-hole' : 'partition',
          clock: this.clock,
          logger: this.logger,
        }),
    );
    for (const f of flappers) this.flappers.add(f);
    const stopAll = (): void => void Promise.all(flappers.map((f) => f.stop()));
    signal.addEventListener('abort', stopAll);
    try {
      for (const f of flappers) f.start();
      await Promise.all(flappers.map((f) => f.finishedAll()));
      const failed = flappers.find((f) => f.error !== undefined);
      if (failed) throw failed.error;
    } finally {
      signal.removeEventListener('abort', stopAll);
      for (const f of flappers) this.flappers.delete(f);
    }
  }

  /** Every link of the nodes back to clean: no toxics, enabled, flapping stopped. */
  async heal(nodes: readonly string[]): Promise<void> {
    await Promise.all([...this.flappers].map((f) => f.stop()));
    await this.each(nodes, (f) => f.heal());
  }

  /** The nodes with links. */
  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  /** Deletes every proxy this bench created (for a shared Toxiproxy; the embedded one just ends). */
  async removeAll(): Promise<void> {
    await Promise.all([...this.flappers].map((f) => f.stop()));
    for (const links of this.byNode.values()) {
      for (const { proxy } of links.values()) await this.client.deleteProxy(proxy).catch(() => false);
    }
    this.byNode.clear();
  }

  private faultsOf(nodes: readonly string[], links: readonly LinkName[] = CLOUD_LINKS): ProxyFaults[] {
    return nodes.flatMap((n) =>
      [...(this.byNode.get(n) ?? new Map<LinkName, { proxy: string }>())]
        .filter(([link]) => links.includes(link))
        .map(([, l]) => new ProxyFaults(this.client, l.proxy)),
    );
  }

  private async each(
    nodes: readonly string[],
    fn: (f: ProxyFaults) => Promise<void>,
    links: readonly LinkName[] = CLOUD_LINKS,
  ): Promise<void> {
    await Promise.all(this.faultsOf(nodes, links).map(fn));
  }

  /** Cuts the mapper → device link of a device (a clean close: the device is unplugged). */
  async partitionDevice(node: string, device: DeviceKind): Promise<void> {
    await this.each([node], (f) => f.partition(), [device]);
  }

  /** The device link back to clean. */
  async healDevice(node: string, device: DeviceKind): Promise<void> {
    await this.each([node], (f) => f.heal(), [device]);
  }
}
