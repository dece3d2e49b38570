/**
 * The changes MetaServer's watches are made of: the store's `meta_v2` change subscription
 * (KubeEdge's imitator fans every mirrored change out to local watchers, kubeedge-protocol.md §5.1),
 * plus a short history so that a watch from a list's resourceVersion sees what changed between the
 * list and the watch. kubectl lists, then watches from the list's RV, and must get only events
 * newer than it (kubectl-contract.md §5).
 *
 * resourceVersions here are the cloud's (the `resource_version` column), not a local counter, and
 * a delete brings no new one (the store removes the row it had). So "newer than RV N" is decided by
 * when a change was committed: a change counts as after N when the highest RV seen before it was
 * already ≥ N, i.e. when it came after a list that answered N (§5.3: "resourceVersion is the
 * highest RV seen locally"). That loses nothing; its cost is that a change which did not raise the
 * highest RV (a delete, an out-of-order update) just before such a list is sent again.
 */
import { errorMessage, type Logger } from '@edgeproof/core';
import type { MetaStore, MetaV2Change } from '../metamanager/store.ts';
import { SERVED_RESOURCES, gvrStringOf } from './resources.ts';

/** How many changes are kept for watches that start from an older resourceVersion. */
export const DEFAULT_HISTORY_SIZE = 1000;

/** One change and where it falls in the local RV order. */
export interface FeedEntry {
  readonly change: MetaV2Change;
  /** The highest RV seen before this change; never decreases along the history. */
  readonly highestBefore: number;
}

/** Fans the store's changes out to watches and keeps the recent ones; see the module comment. */
export class ChangeFeed {
  private readonly store: MetaStore;
  private readonly capacity: number;
  private readonly log: Logger;
  private readonly history: FeedEntry[] = [];
  private readonly listeners = new Set<(entry: FeedEntry) => void>();
  private highest = 0;
  /** A watch from below this RV may have missed changes no longer in the history: 410. */
  private floor = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(options: { store: MetaStore; logger: Logger; historySize?: number }) {
    this.store = options.store;
    this.log = options.logger;
    this.capacity = Math.max(1, options.historySize ?? DEFAULT_HISTORY_SIZE);
  }

  /** Reads the highest stored RV and subscribes to the store. Changes before this are not in the history. */
  start(): void {
    if (this.unsubscribe !== undefined) return;
    for (const resource of SERVED_RESOURCES) {
      for (const row of this.store.listV2(gvrStringOf(resource))) {
        this.highest = Math.max(this.highest, row.resource_version);
      }
    }
    this.floor = this.highest;
    this.unsubscribe = this.store.onChange((change) => this.onChange(change));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.listeners.clear();
  }

  /** The highest resourceVersion seen locally: what lists and bookmarks report (§5.3). */
  highestResourceVersion(): number {
    return this.highest;
  }

  /** The oldest resourceVersion `since` can answer for. */
  oldestResourceVersion(): number {
    return this.floor;
  }

  /** The changes committed after a client saw `rv`, oldest first; undefined when the history no longer reaches back to it. */
  since(rv: number): FeedEntry[] | undefined {
    if (rv < this.floor) return undefined;
    return this.history.filter((e) => e.highestBefore >= rv);
  }

  /** Calls `listener` for every change from now on; returns the unsubscribe function. */
  subscribe(listener: (entry: FeedEntry) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private onChange(change: MetaV2Change): void {
    const entry = { change, highestBefore: this.highest };
    this.history.push(entry);
    this.highest = Math.max(this.highest, change.resourceVersion);
    if (this.history.length > this.capacity) {
      const dropped = this.history.shift();
      if (dropped !== undefined) this.floor = Math.max(this.floor, dropped.highestBefore + 1);
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(entry);
      } catch (err) {
        // One broken watch must not starve the others, nor the store's writer.
        this.log.error('a watch failed to take a change', { key: change.key, error: errorMessage(err) });
      }
    }
  }
}
