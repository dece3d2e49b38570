/**
 * @edgeproof/chaos: network fault injection through the Toxiproxy HTTP API, and an embedded
 * Toxiproxy-compatible server for when no Toxiproxy is running (ARCHITECTURE.md §2).
 */
export { ChaosClient, listenMatches, type ChaosClientOptions } from './chaos-client.ts';
export { ProxyFaults, FAULT_TOXIC, type DegradeOptions } from './proxy-faults.ts';
export { LinkFlapper, type FlapFault, type FlapOptions } from './link-flapper.ts';
export { ToxiproxyRequestError } from './toxiproxy-request-error.ts';
export type {
  ProxyInfo,
  ToxicAttributesByType,
  ToxicInfo,
  ToxicSpec,
  ToxicStream,
  ToxicType,
} from './toxic-spec.ts';
export { startEmbeddedToxiproxy, type EmbeddedToxiproxy } from './toxiproxy/embedded.ts';
export {
  ToxiproxyServer,
  TOXIPROXY_DEFAULT_PORT,
  TOXIPROXY_VERSION,
  type ToxiproxyServerOptions,
} from './toxiproxy/toxiproxy-server.ts';
export type { ProxyJson } from './toxiproxy/proxy.ts';
