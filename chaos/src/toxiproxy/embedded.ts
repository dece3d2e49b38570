/**
 * Starts the embedded Toxiproxy-compatible server (toxiproxy-server.ts) for tests and the
 * `edgeproof chaos proxy` command, when no real Toxiproxy is running.
 */
import type { Logger } from '@edgeproof/core';
import { TOXIPROXY_DEFAULT_PORT, ToxiproxyServer } from './toxiproxy-server.ts';

export type EmbeddedToxiproxy = {
  /** Base URL of its HTTP API, e.g. `http://127.0.0.1:8474`. */
  url: string;
  server: ToxiproxyServer;
  /** Stops the API and every proxy, closing their connections. */
  stop: () => Promise<void>;
};

/** Starts a server on `host` (default 127.0.0.1) and `port` (default 8474; 0 takes a free port). */
export async function startEmbeddedToxiproxy(
  options: { host?: string; port?: number; logger?: Logger } = {},
): Promise<EmbeddedToxiproxy> {
  const server = new ToxiproxyServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? TOXIPROXY_DEFAULT_PORT,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await server.start();
  return { url: server.url(), server, stop: () => server.stop() };
}
