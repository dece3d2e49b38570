/**
 * The network faults edgeproof injects into one link (one Toxiproxy proxy), each expressed as
 * proxy state or toxics of the documented API, so they behave the same on the embedded server
 * and on a real Toxiproxy. What each does on the wire:
 *
 * - **partition** (clean close): the proxy is disabled. Existing connections are closed (FIN),
 *   new connections are refused (ECONNREFUSED). `restore` enables it again on the same port.
 * - **black hole**: a `timeout` toxic with timeout 0 on both streams — Toxiproxy's way to drop
 *   everything without closing ("the connection won't close, and data will be dropped until the
 *   toxic is removed", README "timeout"). Connections stay established, nothing arrives either
 *   way, no FIN, no RST. New connections are still accepted by the proxy (a real routing black
 *   hole would leave the SYN unanswered) and are black-holed too.
 * - **half-open**: the same on one stream only. `downstream` (the default) loses everything the
 *   upstream sends to the client while the client's bytes still reach the upstream: the client
 *   believes the link is up and only its own timers (keepalive, ping) can tell it is not.
 *   `upstream` loses the client's bytes instead. Neither end gets a FIN or RST from the fault.
 * - **reset peer**: a `reset_peer` toxic: `afterMs` after the next data, both ends get a TCP RST
 *   (ECONNRESET).
 * - **degrade**: latency ± jitter, a bandwidth cap, and/or slicing into small TCP writes; on both
 *   streams by default, so a round trip gains twice the latency.
 *
 * In Toxiproxy a peer's orderly close (FIN) still passes through a black-holed stream, and
 * removing a black-hole or half-open toxic closes the connections it held (toxics/timeout.go
 * `Cleanup`): after `heal`, clients reconnect onto a clean link.
 */
import type { ChaosClient } from './chaos-client.ts';
import type { ToxicStream } from './toxic-spec.ts';

/** Names of the toxics these faults add; `edgeproof_` keeps them apart from a user's own. */
export const FAULT_TOXIC = {
  blackHole: (stream: ToxicStream) => `edgeproof_blackhole_${stream}`,
  halfOpen: (stream: ToxicStream) => `edgeproof_halfopen_${stream}`,
  resetPeer: (stream: ToxicStream) => `edgeproof_reset_${stream}`,
  latency: (stream: ToxicStream) => `edgeproof_latency_${stream}`,
  bandwidth: (stream: ToxicStream) => `edgeproof_bandwidth_${stream}`,
  slicer: (stream: ToxicStream) => `edgeproof_slicer_${stream}`,
} as const;

export type DegradeOptions = {
  /** Added to every chunk, ms. */
  latencyMs?: number;
  /** ± this much around latencyMs, ms. */
  jitterMs?: number;
  /** Bandwidth cap in KB/s (1 KB = 1000 bytes). */
  rateKBps?: number;
  /** Cut writes into pieces of about this many bytes… */
  sliceBytes?: number;
  /** …± this many… */
  sliceVariationBytes?: number;
  /** …with this pause after each, µs. */
  sliceDelayUs?: number;
  /** Which direction(s); default both. */
  streams?: readonly ToxicStream[];
};

const BOTH: readonly ToxicStream[] = ['upstream', 'downstream'];

export class ProxyFaults {
  readonly proxy: string;
  private readonly client: ChaosClient;

  constructor(client: ChaosClient, proxy: string) {
    this.client = client;
    this.proxy = proxy;
  }

  /** Clean close: disables the proxy (connections closed, new ones refused). */
  async partition(): Promise<void> {
    await this.client.setEnabled(this.proxy, false);
  }

  /** Ends a partition: enables the proxy again, on the same port. */
  async restore(): Promise<void> {
    await this.client.setEnabled(this.proxy, true);
  }

  /** Everything dropped both ways, nothing closed. */
  async blackHole(): Promise<void> {
    for (const stream of BOTH) {
      await this.client.upsertToxic(this.proxy, {
        type: 'timeout',
        name: FAULT_TOXIC.blackHole(stream),
        stream,
        attributes: { timeout: 0 },
      });
    }
  }

  /** Ends a black hole; the connections it held are closed (Toxiproxy's timeout cleanup). */
  async removeBlackHole(): Promise<void> {
    for (const stream of BOTH) await this.client.removeToxic(this.proxy, FAULT_TOXIC.blackHole(stream));
  }

  /** One direction dropped, the other flowing, nothing closed (see the top of this file). */
  async halfOpen(stream: ToxicStream = 'downstream'): Promise<void> {
    await this.client.upsertToxic(this.proxy, {
      type: 'timeout',
      name: FAULT_TOXIC.halfOpen(stream),
      stream,
      attributes: { timeout: 0 },
    });
  }

  /** Ends a half-open fault; the connections it held are closed. */
  async removeHalfOpen(stream: ToxicStream = 'downstream'): Promise<void> {
    await this.client.removeToxic(this.proxy, FAULT_TOXIC.halfOpen(stream));
  }

  /** TCP RST to both ends `afterMs` after the next data on `stream` (default downstream). */
  async resetPeer(afterMs = 0, stream: ToxicStream = 'downstream'): Promise<void> {
    await this.client.upsertToxic(this.proxy, {
      type: 'reset_peer',
      name: FAULT_TOXIC.resetPeer(stream),
      stream,
      attributes: { timeout: afterMs },
    });
  }

  /** A slow, thin or choppy link; each option that is set adds (or updates) one toxic per stream. */
  async degrade(options: DegradeOptions): Promise<void> {
    for (const stream of options.streams ?? BOTH) {
      if (options.latencyMs !== undefined || options.jitterMs !== undefined) {
        await this.client.upsertToxic(this.proxy, {
          type: 'latency',
          name: FAULT_TOXIC.latency(stream),
          stream,
          attributes: { latency: options.latencyMs ?? 0, jitter: options.jitterMs ?? 0 },
        });
      }
      if (options.rateKBps !== undefined) {
        await this.client.upsertToxic(this.proxy, {
          type: 'bandwidth',
          name: FAULT_TOXIC.bandwidth(stream),
          stream,
          attributes: { rate: options.rateKBps },
        });
      }
      if (options.sliceBytes !== undefined) {
        await this.client.upsertToxic(this.proxy, {
          type: 'slicer',
          name: FAULT_TOXIC.slicer(stream),
          stream,
          attributes: {
            average_size: options.sliceBytes,
            size_variation: options.sliceVariationBytes ?? 0,
            delay: options.sliceDelayUs ?? 0,
          },
        });
      }
    }
  }

  /** Back to a clean link: every toxic on the proxy removed, the proxy enabled. */
  async heal(): Promise<void> {
    for (const toxic of await this.client.listToxics(this.proxy)) {
      await this.client.removeToxic(this.proxy, toxic.name);
    }
    await this.client.setEnabled(this.proxy, true);
  }
}
