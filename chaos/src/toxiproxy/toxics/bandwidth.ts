/**
 * toxics/bandwidth.go: at most `rate` KB/s (1 KB = 1000 bytes: Go sleeps `len · 1ms / rate`).
 * A chunk larger than 100 ms worth of data is sent in 100 ms slices; the time a sleep overshoots
 * is taken off the next one, so the average rate holds despite coarse timers. A rate of 0 or
 * less means no limit (Go's `if t.Rate <= 0 { sleep = 0 }`; its slicing loop would then spin).
 */
import { isEnd } from '../chunk-queue.ts';
import type { ToxicKind } from '../toxic-kind.ts';

export type BandwidthAttributes = { rate: number };

export const BANDWIDTH: ToxicKind<BandwidthAttributes> = {
  type: 'bandwidth',
  goStruct: 'BandwidthToxic',
  fields: { rate: 'int64' },
  async pipe(stub, attributes, signal) {
    const { clock } = stub.runtime;
    const rate = attributes.rate;
    let sleep = 0;
    for (;;) {
      const item = await stub.input.take(signal);
      if (item === undefined) return;
      if (isEnd(item)) {
        stub.close(item.end);
        return;
      }
      let data = item.data;
      if (rate <= 0) {
        stub.send(item);
        continue;
      }
      sleep += data.length / rate;
      const slice = rate * 100; // bytes per 100 ms
      while (data.length > slice) {
        if (!(await stub.sleep(100, signal))) {
          stub.send({ data, ts: item.ts });
          return;
        }
        stub.send({ data: data.subarray(0, slice), ts: item.ts });
        data = data.subarray(slice);
        sleep -= 100;
      }
      const start = clock.now();
      if (!(await stub.sleep(sleep, signal))) {
        stub.send({ data, ts: item.ts });
        return;
      }
      sleep -= clock.now() - start;
      stub.send({ data, ts: item.ts });
    }
  },
};
