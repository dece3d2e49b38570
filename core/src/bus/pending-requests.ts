/**
 * The table of requests waiting for a reply, matched by parent id as in beehive's SendSync /
 * SendResp (`beehive/pkg/core/context/context_channel.go`: a waiter is keyed by the request's
 * msg_id and a reply is routed by its parent_msg_id; kubeedge-protocol.md §1.1). Unlike beehive,
 * a reply that finds no waiter is counted, so a late reply is observable and can never resolve a
 * different request.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import { BusTimeoutError } from './errors.ts';
import type { BusEnvelope, BusTopicMap, RequestStats } from './types.ts';

/** Which request a waiter belongs to, for error messages. */
export type WaitingRequest = { id: string; to: string; topic: string };

type Waiter<T extends BusTopicMap> = WaitingRequest & {
  resolve: (reply: BusEnvelope<T>) => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
};

/** Waiting requests with their timeout timers; every exit path cancels the timer. */
export class PendingRequests<T extends BusTopicMap> {
  private readonly clock: Clock;
  private readonly waiters = new Map<string, Waiter<T>>();
  private replied = 0;
  private timedOut = 0;
  private lateReplies = 0;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Waits for the reply to `request`, rejecting with BusTimeoutError after `timeoutMs`. */
  wait(request: BusEnvelope<T>, to: string, timeoutMs: number): Promise<BusEnvelope<T>> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.waiters.delete(request.id);
        this.timedOut++;
        reject(new BusTimeoutError(to, request.topic, request.id, timeoutMs));
      }, timeoutMs);
      this.waiters.set(request.id, { id: request.id, to, topic: request.topic, resolve, reject, timer });
    });
  }

  /** Hands `reply` to the request named by its parentId; false (and counted) when none waits. */
  resolve(reply: BusEnvelope<T>): boolean {
    const waiter = reply.parentId === undefined ? undefined : this.waiters.get(reply.parentId);
    if (waiter === undefined || reply.parentId === undefined) {
      this.lateReplies++;
      return false;
    }
    this.waiters.delete(reply.parentId);
    waiter.timer.cancel();
    this.replied++;
    waiter.resolve(reply);
    return true;
  }

  /** Fails the request with id `requestId` if it is still waiting; true if it was. */
  reject(requestId: string, err: Error): boolean {
    const waiter = this.waiters.get(requestId);
    if (waiter === undefined) return false;
    this.waiters.delete(requestId);
    waiter.timer.cancel();
    waiter.reject(err);
    return true;
  }

  /** Fails every waiting request with the error `errFor` builds for it. */
  rejectAll(errFor: (request: WaitingRequest) => Error): void {
    for (const waiter of [...this.waiters.values()]) this.reject(waiter.id, errFor(waiter));
  }

  stats(): RequestStats {
    return {
      pending: this.waiters.size,
      replied: this.replied,
      timedOut: this.timedOut,
      lateReplies: this.lateReplies,
    };
  }
}
