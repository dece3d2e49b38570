/**
 * The toxic types the embedded Toxiproxy knows: the TCP toxics of Shopify/toxiproxy `toxics/`
 * (`Register(...)` in each file's init). Toxiproxy's newer, rarely used types are not here.
 */
import type { ToxicKind } from '../toxic-kind.ts';
import { BANDWIDTH } from './bandwidth.ts';
import { LATENCY } from './latency.ts';
import { LIMIT_DATA } from './limit-data.ts';
import { RESET_PEER } from './reset-peer.ts';
import { SLICER } from './slicer.ts';
import { SLOW_CLOSE } from './slow-close.ts';
import { TIMEOUT } from './timeout.ts';

export const TOXIC_KINDS: ReadonlyMap<string, ToxicKind> = new Map<string, ToxicKind>(
  [LATENCY, BANDWIDTH, SLOW_CLOSE, TIMEOUT, RESET_PEER, SLICER, LIMIT_DATA].map((k) => [k.type, k]),
);
