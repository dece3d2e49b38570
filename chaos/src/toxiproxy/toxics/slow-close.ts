/**
 * toxics/slow_close.go: data passes untouched; when the stream ends, the close is held back for
 * `delay` ms.
 */
import { isEnd } from '../chunk-queue.ts';
import type { ToxicKind } from '../toxic-kind.ts';

export type SlowCloseAttributes = { delay: number };

export const SLOW_CLOSE: ToxicKind<SlowCloseAttributes> = {
  type: 'slow_close',
  goStruct: 'SlowCloseToxic',
  fields: { delay: 'int64' },
  async pipe(stub, attributes, signal) {
    for (;;) {
      const item = await stub.input.take(signal);
      if (item === undefined) return;
      if (isEnd(item)) {
        // The end stays at the head of the input (chunk-queue.ts), so an interrupted wait
        // resumes from the start when the stage runs again, as with Go's closed channel.
        if (!(await stub.sleep(attributes.delay, signal))) return;
        stub.close(item.end);
        return;
      }
      stub.send(item);
    }
  },
};
