/**
 * toxics/latency.go: every chunk is delayed by `latency` ± `jitter` ms, measured from when the
 * chunk was read from the socket, so a chain of latency toxics adds up and queueing behind a
 * slow chunk does not add on top (Go: `sleep := t.delay() - time.Since(c.Timestamp)`, then
 * `c.Timestamp = c.Timestamp.Add(sleep)`).
 */
import { isEnd } from '../chunk-queue.ts';
import type { ToxicKind } from '../toxic-kind.ts';

export type LatencyAttributes = { latency: number; jitter: number };

export const LATENCY: ToxicKind<LatencyAttributes> = {
  type: 'latency',
  goStruct: 'LatencyToxic',
  fields: { latency: 'int64', jitter: 'int64' },
  async pipe(stub, attributes, signal) {
    const { clock, random } = stub.runtime;
    for (;;) {
      const item = await stub.input.take(signal);
      if (item === undefined) return;
      if (isEnd(item)) {
        stub.close(item.end);
        return;
      }
      // latency.go `delay()`: latency + rand.Int63n(2·jitter) − jitter, when jitter > 0.
      let delay = attributes.latency;
      if (attributes.jitter > 0) delay += Math.floor(random() * attributes.jitter * 2) - attributes.jitter;
      const sleep = delay - (clock.now() - item.ts);
      if (!(await stub.sleep(sleep, signal))) {
        stub.send(item); // interrupted: pass it on at once rather than drop it
        return;
      }
      stub.send({ data: item.data, ts: item.ts + sleep });
    }
  },
};
