/**
 * Typed toxics for the rest of edgeproof: each Toxiproxy toxic type with its attributes
 * (Shopify/toxiproxy README "Toxics"; times in ms except slicer's `delay` in µs, rates in KB/s).
 */
export type ToxicStream = 'upstream' | 'downstream';

export type ToxicAttributesByType = {
  /** Each chunk delayed by latency ± jitter ms. */
  latency: { latency: number; jitter?: number };
  /** At most `rate` KB/s. */
  bandwidth: { rate: number };
  /** The close delayed by `delay` ms. */
  slow_close: { delay: number };
  /** Data dropped; closed after `timeout` ms of it (0 = never: a black hole). */
  timeout: { timeout: number };
  /** TCP RST `timeout` ms after the first data. */
  reset_peer: { timeout: number };
  /** Writes cut into pieces of average_size ± size_variation bytes, `delay` µs apart. */
  slicer: { average_size: number; size_variation?: number; delay?: number };
  /** Closed after `bytes` bytes. */
  limit_data: { bytes: number };
};

export type ToxicType = keyof ToxicAttributesByType;

/** A toxic to add. `name` defaults to `<type>_<stream>`, `stream` to downstream, `toxicity` to 1. */
export type ToxicSpec<T extends ToxicType = ToxicType> = {
  [K in T]: {
    type: K;
    attributes: ToxicAttributesByType[K];
    name?: string;
    stream?: ToxicStream;
    /** Probability (0..1) that a connection is affected. */
    toxicity?: number;
  };
}[T];

/** A toxic as the server reports it. */
export type ToxicInfo = {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: Record<string, number>;
};

/** A proxy as the server reports it; `listen` holds the real port once listening. */
export type ProxyInfo = {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicInfo[];
};
