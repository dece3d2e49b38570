/** How a fault window is named in reports: `partition edge-1 (blackhole) 12.3s–42.0s`. */
import { formatOffset } from '../duration.ts';
import type { FaultWindow } from '../report/result-types.ts';

export function windowLabel(w: FaultWindow): string {
  return `${w.label} ${formatOffset(w.startMs)}–${w.endMs === undefined ? 'end' : formatOffset(w.endMs)}`;
}
