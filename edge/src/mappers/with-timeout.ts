/**
 * Bounds an I/O promise by the injected clock (ARCHITECTURE.md §4 "Time is injected"). Client
 * libraries leave some waits unbounded (a TCP connect to a silent host waits for the OS), and a
 * mapper must keep its reconnect schedule.
 */
import type { Clock } from '@edgeproof/core';
import { DeviceLinkError } from './mapper-errors.ts';

/** `promise`, or a `DeviceLinkError` saying `what` timed out after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new DeviceLinkError(`${what} timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (err: unknown) => {
        timer.cancel();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
