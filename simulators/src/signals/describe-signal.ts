/** One-line descriptions of signals, for the CLI's point list and logs. */
import { formatDuration } from '../duration.ts';
import type { SignalModel } from './signal-model.ts';

export function describeSignal(s: SignalModel): string {
  const resolution = 'resolution' in s && s.resolution !== undefined ? ` resolution ${s.resolution}` : '';
  return describeExact(s) + resolution;
}

function describeExact(s: SignalModel): string {
  switch (s.kind) {
    case 'constant':
      return `constant ${JSON.stringify(s.value)}`;
    case 'sine':
      return `sine offset ${s.offset ?? 0} amplitude ${s.amplitude} period ${formatDuration(s.period)}${s.phase ? ` phase ${s.phase}°` : ''}`;
    case 'ramp':
      return `ramp ${s.from}→${s.to} over ${formatDuration(s.period)}${s.repeat === false ? ', then holds' : ', repeating'}`;
    case 'random-walk':
      return `random walk from ${s.start} step ±${s.step} in [${s.min}, ${s.max}] every ${formatDuration(s.interval ?? 1000)} seed ${s.seed ?? 1}`;
    case 'steps':
      return `steps ${s.steps.map((x) => `${formatDuration(x.at)}:${JSON.stringify(x.value)}`).join(' ')}`;
    case 'replay':
      return `replay of ${s.samples.length} samples${s.file ? ` from ${s.file}` : ''}${s.loop === false ? '' : ', looping'}`;
  }
}
