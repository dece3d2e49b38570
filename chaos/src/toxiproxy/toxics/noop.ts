/** toxics/noop.go: passes everything through. The hidden head of every chain, and what a link runs
 * in place of a toxic whose toxicity it did not draw. */
import { isEnd } from '../chunk-queue.ts';
import type { ToxicKind } from '../toxic-kind.ts';

export const NOOP: ToxicKind = {
  type: 'noop',
  goStruct: 'NoopToxic',
  fields: {},
  async pipe(stub, _attributes, signal) {
    for (;;) {
      const item = await stub.input.take(signal);
      if (item === undefined) return;
      if (isEnd(item)) {
        stub.close(item.end);
        return;
      }
      stub.send(item);
    }
  },
};
