/**
 * Shared fixtures for the bus's unit tests (not exported from the package): a small topic map
 * shaped like edgecore's, a bus on a FakeClock with counting ids, and a way to let microtasks run.
 */
import { FakeClock } from '../clock.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { ModuleBus } from './bus.ts';
import type { BusEnvelope, MailboxOptions, RestartPolicy } from './types.ts';

export type PodMessage = { namespace: string; name: string; resourceVersion: string };

/** Topics in the style of kubeedge-protocol.md §1.2 and §2.3. */
export type DemoTopics = {
  'meta.insert': PodMessage;
  'meta.query': { key: string };
  'meta.response': { key: string; value: string | null };
  'node.connection': { connected: boolean };
  'twin.update': { device: string; desired: Record<string, string> };
};

export type DemoEnvelope = BusEnvelope<DemoTopics>;

export const roomy: MailboxOptions = { capacity: 100, overflow: 'reject' };

/** A started-or-not bus on a FakeClock at t=0 whose ids are `<prefix>-1`, `<prefix>-2`, … */
export function demoBus(
  options: { name?: string; logger?: Logger; clock?: FakeClock; restart?: Partial<RestartPolicy> } = {},
): { bus: ModuleBus<DemoTopics>; clock: FakeClock } {
  const clock = options.clock ?? new FakeClock(0);
  const name = options.name ?? 'edge-1';
  let n = 0;
  const bus = new ModuleBus<DemoTopics>({
    clock,
    logger: options.logger ?? silentLogger(),
    name,
    newId: () => `${name}-${++n}`,
    restart: options.restart,
  });
  return { bus, clock };
}

/** Lets queued microtasks and promise callbacks run; never advances time. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}
