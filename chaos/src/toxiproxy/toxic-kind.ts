/**
 * A toxic type: its attributes (all integers in Toxiproxy, each with the Go type its JSON decodes
 * into) and its `pipe`, which moves data from a stage's input to its output until interrupted —
 * the `Toxic` interface of Shopify/toxiproxy `toxics/toxic.go`, with `StatefulToxic` (`newState`)
 * and `CleanupToxic` (`cleanup`) folded in.
 */
import type { ToxicStub } from './toxic-stub.ts';

export type Attributes = { readonly [name: string]: number };

export type StreamDirection = 'upstream' | 'downstream';

export interface ToxicKind<A extends Attributes = Attributes> {
  /** The `type` of the API, e.g. `latency`. */
  readonly type: string;
  /** The Go struct, for error messages that read like Toxiproxy's. */
  readonly goStruct: string;
  /** Attribute names, in the order Toxiproxy prints them, with their Go types; each defaults to 0. */
  readonly fields: Readonly<Record<keyof A & string, 'int' | 'int64'>>;
  /**
   * Moves data until the stream ends or `signal` aborts. On abort it forwards any chunk it holds
   * ("don't drop any data on the floor", toxics/latency.go) and returns.
   */
  pipe(stub: ToxicStub, attributes: A, signal: AbortSignal): Promise<void>;
  /** Per-link state kept across restarts of the pipe (toxics/limit_data.go `NewState`). */
  newState?(): unknown;
  /** Runs when the toxic is removed from a live link (toxics/timeout.go `Cleanup`). */
  cleanup?(stub: ToxicStub): void;
}

/** A toxic as the API holds it: toxic_collection.go's `ToxicWrapper`. */
export type ToxicWrapper = {
  readonly name: string;
  readonly type: string;
  /** As the client wrote it (Go keeps the string; `direction` is the parsed value). */
  readonly stream: string;
  readonly direction: StreamDirection;
  /** float32, as Go stores it. */
  readonly toxicity: number;
  readonly attributes: Attributes;
  readonly kind: ToxicKind;
};
