/**
 * One watch response: chunked newline-delimited JSON events `{"type":…,"object":…}`
 * (kubectl-contract.md §5), over HTTP/1.1.
 *
 * - Start: with `resourceVersion` unset or `0`, ADDED events for what is stored now, then changes
 *   (kube's "start at most recent / any"); with RV N, the changes since N from the feed's history,
 *   or one ERROR event with a 410 Expired Status when the history no longer reaches N (the client
 *   then lists again, §5). `sendInitialEvents=true` (client-go's watch-list) gives the current state
 *   then a BOOKMARK annotated `k8s.io/initial-events-end`.
 * - A change that takes an object into the selection is ADDED, out of it DELETED (with the old
 *   content and the new RV), as kube's watch cache does (`cacheWatcher.convertToWatchEvent`).
 * - With a Table Accept (`kubectl get -w`) each object is a Table of one row.
 * - `allowWatchBookmarks=true`: a BOOKMARK with the highest RV every `bookmarkIntervalMs` (kube's
 *   watch cache sends one about every minute). `timeoutSeconds`: the stream ends then.
 * - Ends on client disconnect (`res.on('close')`: `req`'s close fires once the body is read, §5),
 *   on `end()` (server stop) and when a client stops reading and more than `maxBufferedBytes` pile up.
 */
import type { ServerResponse } from 'node:http';
import type { Clock, Logger, TimerHandle } from '@edgeproof/core';
import type { ChangeFeed, FeedEntry } from './change-feed.ts';
import { asServedObject, matchesFilter, type KubeObject, type ObjectFilter } from './objects.ts';
import { groupVersionOf, gvrStringOf } from './resources.ts';
import { expired } from './status.ts';
import { renderTable, type IncludeObject } from './table.ts';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchRequest {
  readonly filter: ObjectFilter;
  /** The `resourceVersion` parameter as a number; undefined for unset or `0`. */
  readonly resourceVersion: number | undefined;
  readonly sendInitialEvents: boolean;
  readonly allowBookmarks: boolean;
  readonly timeoutSeconds: number | undefined;
  readonly asTable: boolean;
  readonly includeObject: IncludeObject;
}

export interface WatchContext {
  readonly feed: ChangeFeed;
  readonly clock: Clock;
  readonly log: Logger;
  /** The current objects the filter selects (for initial ADDED events). */
  readonly current: () => KubeObject[];
  readonly bookmarkIntervalMs: number;
  readonly maxBufferedBytes: number;
}

/** How long `end()` lets buffered events drain before the socket is destroyed. */
const END_GRACE_MS = 1000;

export class WatchStream {
  private readonly res: ServerResponse;
  private readonly request: WatchRequest;
  private readonly ctx: WatchContext;
  private readonly gvr: string;
  private readonly timers: TimerHandle[] = [];
  private unsubscribe: (() => void) | undefined;
  private readonly closedPromise: Promise<void>;
  private closed = false;

  constructor(res: ServerResponse, request: WatchRequest, ctx: WatchContext) {
    this.res = res;
    this.request = request;
    this.ctx = ctx;
    this.gvr = gvrStringOf(request.filter.resource);
    this.closedPromise = new Promise((resolve) => res.once('close', resolve));
  }

  /** Resolves once the response is closed, for whatever reason. */
  get done(): Promise<void> {
    return this.closedPromise;
  }

  /** Sends the headers and the initial events, then follows the feed. */
  start(): void {
    const { res, request, ctx } = this;
    res.on('close', () => this.cleanup());
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();

    if (request.sendInitialEvents || request.resourceVersion === undefined) {
      for (const object of ctx.current()) this.send('ADDED', object);
      if (request.sendInitialEvents && request.allowBookmarks) {
        this.bookmark({ 'k8s.io/initial-events-end': 'true' });
      }
    } else {
      const replay = ctx.feed.since(request.resourceVersion);
      if (replay === undefined) {
        const status = expired(String(request.resourceVersion), ctx.feed.oldestResourceVersion()).toStatus();
        this.write({ type: 'ERROR', object: status });
        void this.end();
        return;
      }
      for (const entry of replay) this.take(entry);
    }
    if (this.closed) return;
    this.unsubscribe = ctx.feed.subscribe((entry) => this.take(entry));
    if (request.allowBookmarks) {
      this.timers.push(ctx.clock.setInterval(() => this.bookmark(), ctx.bookmarkIntervalMs));
    }
    if (request.timeoutSeconds !== undefined) {
      this.timers.push(ctx.clock.setTimeout(() => void this.end(), request.timeoutSeconds * 1000));
    }
  }

  /** Ends the stream cleanly (the terminating chunk); destroys it if the client does not drain it soon. */
  end(): Promise<void> {
    this.cleanup();
    if (!this.res.writableEnded) {
      const socket = this.res.socket;
      const grace = this.ctx.clock.setTimeout(() => this.res.destroy(), END_GRACE_MS);
      void this.closedPromise.then(() => grace.cancel());
      this.res.once('finish', () => {
        grace.cancel();
        // The watch was the connection's last use; closing it lets the server's close() finish.
        socket?.end();
      });
      this.res.end();
    }
    return this.closedPromise;
  }

  /** Turns one change into the event this watch's filter makes of it, if any. */
  private take({ change, highestBefore }: FeedEntry): void {
    if (change.gvr !== this.gvr || this.closed) return;
    const { filter } = this.request;
    const resource = filter.resource;
    const object = asServedObject(resource, change.object);
    const isIn = object !== undefined && matchesFilter(filter, object);
    switch (change.type) {
      case 'ADDED':
        if (isIn) this.send('ADDED', object);
        return;
      case 'DELETED':
        // A delete brings no RV of its own (the store removes the row it had). kube gives the
        // deleted object the deletion's RV, which is above every earlier one; the highest RV seen
        // is the local equivalent, so a client's RV never goes back below what it has seen.
        if (isIn) this.send('DELETED', withRv(object, Math.max(change.resourceVersion, highestBefore)));
        return;
      case 'MODIFIED': {
        const previous = asServedObject(resource, change.previous);
        const wasIn = previous !== undefined && matchesFilter(filter, previous);
        if (isIn) this.send(wasIn ? 'MODIFIED' : 'ADDED', object);
        else if (wasIn) this.send('DELETED', withRv(previous, change.resourceVersion));
        return;
      }
    }
  }

  private send(type: EventType, object: KubeObject): void {
    const { request, ctx } = this;
    if (!request.asTable) {
      this.write({ type, object });
      return;
    }
    const rv = object.metadata?.['resourceVersion'];
    const table = renderTable(request.filter.resource, [object], {
      now: ctx.clock.now(),
      resourceVersion: typeof rv === 'string' ? rv : String(ctx.feed.highestResourceVersion()),
      includeObject: request.includeObject,
    });
    this.write({ type, object: table });
  }

  /** A BOOKMARK: the kind's TypeMeta and the highest RV, nothing else (kubectl-contract.md §5). */
  private bookmark(annotations?: Record<string, string>): void {
    const resource = this.request.filter.resource;
    const metadata: Record<string, unknown> = {
      resourceVersion: String(this.ctx.feed.highestResourceVersion()),
    };
    if (annotations !== undefined) metadata['annotations'] = annotations;
    this.write({
      type: 'BOOKMARK',
      object: { kind: resource.kind, apiVersion: groupVersionOf(resource), metadata },
    });
  }

  private write(event: { type: EventType; object: unknown }): void {
    if (this.closed || this.res.writableEnded) return;
    this.res.write(`${JSON.stringify(event)}\n`);
    if (this.res.writableLength > this.ctx.maxBufferedBytes) {
      // A client that stops reading must not make the edge buffer without bound; it will relist.
      this.ctx.log.warn('closing a watch whose client does not read', {
        resource: this.request.filter.resource.plural,
        bufferedBytes: this.res.writableLength,
      });
      this.cleanup();
      this.res.destroy();
    }
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    for (const timer of this.timers) timer.cancel();
  }
}

/** A copy of `object` with `metadata.resourceVersion` set to `rv`. */
function withRv(object: KubeObject, rv: number): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
}
