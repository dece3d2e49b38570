/**
 * toxics/reset_peer.go: on the first data (or end of stream) through the link, wait `timeout`
 * ms, then reset the connection — a TCP RST to both ends (Go closes with SO_LINGER 0, link.go
 * `Start`), so peers see ECONNRESET. The data that triggered it is dropped. A connection that
 * sends nothing is not reset.
 */
import type { ToxicKind } from '../toxic-kind.ts';

export type ResetPeerAttributes = { timeout: number };

export const RESET_PEER: ToxicKind<ResetPeerAttributes> = {
  type: 'reset_peer',
  goStruct: 'ResetToxic',
  fields: { timeout: 'int64' },
  async pipe(stub, attributes, signal) {
    const item = await stub.input.take(signal);
    if (item === undefined) return;
    // Go does not listen for interrupts while it waits; here removing the toxic cancels the reset.
    if (!(await stub.sleep(attributes.timeout, signal))) return;
    stub.close('reset');
  },
};
