/**
 * toxics/timeout.go: nothing gets through — data is dropped — and after `timeout` ms the
 * connection is closed. With `timeout` 0 (or less) it is never closed: a black hole until the
 * toxic is removed. As in Go, the timer restarts whenever a chunk is dropped (`time.After` is
 * created on each turn of the loop), an end of stream passes through at once, and removing the
 * toxic closes the links it was on (`Cleanup` calls `stub.Close()`), so a healed black hole
 * closes the connections it swallowed.
 */
import { isEnd } from '../chunk-queue.ts';
import type { ToxicKind } from '../toxic-kind.ts';

export type TimeoutAttributes = { timeout: number };

export const TIMEOUT: ToxicKind<TimeoutAttributes> = {
  type: 'timeout',
  goStruct: 'TimeoutToxic',
  fields: { timeout: 'int64' },
  async pipe(stub, attributes, signal) {
    const timeout = attributes.timeout;
    for (;;) {
      const item = timeout > 0 ? await stub.takeWithin(timeout, signal) : await stub.input.take(signal);
      if (item === undefined) return;
      if (item === 'timeout') {
        stub.close('close');
        return;
      }
      if (isEnd(item)) {
        stub.close(item.end);
        return;
      }
      // Drop the data on the ground.
    }
  },
  cleanup(stub) {
    stub.close('close');
  },
};
