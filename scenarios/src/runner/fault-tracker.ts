/**
 * Which faults are in place when: every fault step opens a window, heal (or the end of a restart
 * or a flap) closes it. Invariants are judged per window, with a tolerance around its edges
 * (invariants/*.ts). Times come from the injected clock, relative to the scenario's start.
 */
import type { Clock } from '@edgeproof/core';
import type { FaultKind, FaultWindow } from './report/result-types.ts';

export type OpenFault = {
  kind: FaultKind;
  label: string;
  cuts?: string[];
  nodes?: string[];
  components?: string[];
  stepPath: string;
  line: number;
  /** What heal matches: `net:edge-1`, `proc:cloudcore`, `proc:edgecore/edge-1`. */
  keys: string[];
};

export class FaultTracker {
  private readonly clock: Clock;
  private readonly t0: number;
  private readonly list: (FaultWindow & { keys: string[] })[] = [];

  constructor(clock: Clock, t0: number) {
    this.clock = clock;
    this.t0 = t0;
  }

  /** Opens a window now; returns it (close it with `close` for faults that end on their own). */
  open(f: OpenFault): FaultWindow {
    const w = {
      id: `w${this.list.length + 1}`,
      kind: f.kind,
      label: f.label,
      cuts: f.cuts ?? [],
      nodes: f.nodes ?? [],
      components: f.components ?? [],
      startMs: this.clock.now() - this.t0,
      stepPath: f.stepPath,
      line: f.line,
      keys: f.keys,
    };
    this.list.push(w);
    return w;
  }

  /** Closes one window now. */
  close(window: FaultWindow): void {
    const w = this.list.find((x) => x.id === window.id);
    if (w && w.endMs === undefined) w.endMs = this.clock.now() - this.t0;
  }

  /** Closes the open windows any of whose keys is in `keys` (all of them for `undefined`). */
  heal(keys: readonly string[] | undefined): FaultWindow[] {
    const closed: FaultWindow[] = [];
    for (const w of this.list) {
      if (w.endMs !== undefined) continue;
      if (keys === undefined || w.keys.some((k) => keys.includes(k))) {
        w.endMs = this.clock.now() - this.t0;
        closed.push(w);
      }
    }
    return closed;
  }

  /** Open windows with a key in `keys`. */
  openWith(keys: readonly string[]): FaultWindow[] {
    return this.list.filter((w) => w.endMs === undefined && w.keys.some((k) => keys.includes(k)));
  }

  /** Every window so far (copies, without the heal keys). */
  windows(): FaultWindow[] {
    return this.list.map(({ keys: _keys, ...w }) => ({ ...w }));
  }
}
