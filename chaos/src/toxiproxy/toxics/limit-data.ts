/**
 * toxics/limit_data.go: passes the first `bytes` bytes of the link, then closes the connection.
 * The count is per link and survives updates of the toxic (`NewState`).
 */
import { isEnd } from '../chunk-queue.ts';
import type { ToxicKind } from '../toxic-kind.ts';

export type LimitDataAttributes = { bytes: number };

type LimitDataState = { transmitted: number };

export const LIMIT_DATA: ToxicKind<LimitDataAttributes> = {
  type: 'limit_data',
  goStruct: 'LimitDataToxic',
  fields: { bytes: 'int64' },
  newState: (): LimitDataState => ({ transmitted: 0 }),
  async pipe(stub, attributes, signal) {
    const state = stub.state as LimitDataState;
    let remaining = attributes.bytes - state.transmitted;
    for (;;) {
      const item = await stub.input.take(signal);
      if (item === undefined) return;
      if (isEnd(item)) {
        stub.close(item.end);
        return;
      }
      if (remaining < 0) remaining = 0;
      const data = remaining < item.data.length ? item.data.subarray(0, remaining) : item.data;
      if (data.length > 0) {
        stub.send({ data, ts: item.ts });
        state.transmitted += data.length;
      }
      remaining = attributes.bytes - state.transmitted;
      if (remaining <= 0) {
        stub.close('close');
        return;
      }
    }
  },
};
