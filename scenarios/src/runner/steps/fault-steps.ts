/**
 * `fault` and `heal`. Network faults act on the nodes' Toxiproxy links (bench/network-links.ts);
 * process faults on the components' processes (SIGKILL for kill, SIGTERM for stop). Each fault
 * opens a window in the FaultTracker when it has taken effect; heal closes the windows it undoes
 * when the link is clean again or the process is ready again. Restart and flap close their own
 * window when they are done.
 */
import { componentName } from '../bench/bench.ts';
import { durationMs } from '../duration.ts';
import type { ComponentKind, FaultStep, HealStep } from '../scenario-types.ts';
import { elapsed, type StepContext } from './step-context.ts';

/** A fault in words: `partition edge-1 (blackhole)`, `kill edgecore/edge-1`. */
export function describeFault(f: FaultStep): string {
  if (f.partition) return `partition ${f.partition.nodes.join(', ')} (${f.partition.mode ?? 'clean-close'})`;
  if (f.degrade) {
    const d = f.degrade;
    const parts = [
      d.latency !== undefined ? `latency ${d.latency}${d.jitter !== undefined ? ` ±${d.jitter}` : ''}` : '',
      d.bandwidth !== undefined ? `${d.bandwidth} KB/s` : '',
      d.slice !== undefined
        ? `sliced into ${d.slice} B${d.sliceDelay !== undefined ? ` every ${d.sliceDelay}` : ''}`
        : '',
    ].filter((p) => p !== '');
    return `degrade ${d.nodes.join(', ')} (${parts.join(', ')})`;
  }
  if (f.flap)
    return `flap ${f.flap.nodes.join(', ')} (down ${f.flap.down}, up ${f.flap.up}, ${f.flap.times}×)`;
  if (f.kill) return `kill ${componentName(f.kill, f.node)}`;
  if (f.stop) return `stop ${componentName(f.stop, f.node)}`;
  if (f.restart) return `restart ${componentName(f.restart, f.node)}${f.hard ? ' (SIGKILL)' : ''}`;
  return `partition-device ${f['partition-device'] ?? ''}`;
}

export async function faultStep(
  f: FaultStep,
  ctx: StepContext,
  where: { path: string; line: number },
  signal: AbortSignal,
): Promise<string> {
  const label = describeFault(f);
  const base = { label, stepPath: where.path, line: where.line };
  const event = (): void =>
    ctx.record({ atMs: elapsed(ctx), kind: 'fault', text: label, stepPath: where.path });
  const links = ctx.bench.network();
  if (f.partition) {
    const nodes = f.partition.nodes;
    await links.partition(nodes, f.partition.mode ?? 'clean-close');
    ctx.faults.open({ ...base, kind: 'partition', cuts: nodes, nodes, keys: nodes.map((n) => `net:${n}`) });
    event();
    return label;
  }
  if (f.degrade) {
    const d = f.degrade;
    await links.degrade(d.nodes, {
      ...(d.latency !== undefined ? { latencyMs: durationMs(d.latency, 0) } : {}),
      ...(d.jitter !== undefined ? { jitterMs: durationMs(d.jitter, 0) } : {}),
      ...(d.bandwidth !== undefined ? { rateKBps: d.bandwidth } : {}),
      ...(d.slice !== undefined ? { sliceBytes: d.slice, sliceVariationBytes: Math.floor(d.slice / 4) } : {}),
      ...(d.sliceDelay !== undefined ? { sliceDelayUs: durationMs(d.sliceDelay, 0) * 1000 } : {}),
    });
    ctx.faults.open({ ...base, kind: 'degrade', nodes: d.nodes, keys: d.nodes.map((n) => `net:${n}`) });
    event();
    return label;
  }
  if (f.flap) {
    const fl = f.flap;
    const window = ctx.faults.open({
      ...base,
      kind: 'flap',
      nodes: fl.nodes,
      keys: fl.nodes.map((n) => `net:${n}`),
    });
    event();
    try {
      await links.flap(
        fl.nodes,
        {
          downMs: durationMs(fl.down, 0),
          upMs: durationMs(fl.up, 0),
          times: fl.times,
          mode: fl.mode ?? 'clean-close',
        },
        signal,
      );
    } finally {
      ctx.faults.close(window);
      ctx.record({
        atMs: elapsed(ctx),
        kind: 'heal',
        text: `flapping ${fl.nodes.join(', ')} done`,
        stepPath: where.path,
      });
    }
    signal.throwIfAborted();
    return label;
  }
  const device = f['partition-device'];
  if (device !== undefined) {
    await links.partitionDevice(ctx.bench.deviceNode(), device);
    ctx.faults.open({
      ...base,
      kind: 'partition',
      nodes: [],
      components: [`device/${device}`],
      keys: [`dev:${device}`],
    });
    event();
    return label;
  }
  const kind = (f.kill ?? f.stop ?? f.restart) as ComponentKind;
  const name = componentName(kind, f.node);
  const process = {
    ...base,
    cuts: kind === 'edgecore' && f.node !== undefined ? [f.node] : [],
    nodes: f.node !== undefined ? [f.node] : [],
    components: [name],
    keys: [`proc:${name}`],
  };
  if (f.kill) {
    await ctx.bench.kill(kind, f.node);
    ctx.faults.open({ ...process, kind: 'kill' });
    event();
    return label;
  }
  if (f.stop) {
    await ctx.bench.stop(kind, f.node);
    ctx.faults.open({ ...process, kind: 'stop' });
    event();
    return label;
  }
  // restart: down and up again; the window lasts until it is ready.
  const window = ctx.faults.open({ ...process, kind: 'restart' });
  event();
  try {
    if (f.hard) await ctx.bench.kill(kind, f.node);
    else await ctx.bench.stop(kind, f.node);
    await ctx.bench.startAgain(kind, f.node, signal);
  } finally {
    ctx.faults.close(window);
  }
  ctx.record({ atMs: elapsed(ctx), kind: 'heal', text: `${name} ready again`, stepPath: where.path });
  return label;
}

/** A heal in words. */
export function describeHeal(h: HealStep): string {
  if (h === 'all') return 'heal all';
  return `heal ${[...(h.nodes ?? []), ...(h.components ?? []), ...(h.devices ?? [])].join(', ')}`;
}

/** Order in which stopped components come back: what others depend on first. */
const START_ORDER: readonly ComponentKind[] = [
  'apiserver',
  'cloudcore',
  'mqtt-broker',
  'edgecore',
  'modbus',
  'opcua',
];
/** Components that exist once per node. */
const PER_NODE: ReadonlySet<ComponentKind> = new Set(['edgecore', 'mqtt-broker']);

export async function healStep(
  h: HealStep,
  ctx: StepContext,
  where: { path: string },
  signal: AbortSignal,
): Promise<string> {
  const bench = ctx.bench;
  const nodes = h === 'all' ? [...bench.nodes] : (h.nodes ?? []);
  const components = h === 'all' ? START_ORDER.filter((c) => !PER_NODE.has(c)) : (h.components ?? []);
  const done: string[] = [];
  // 1. The network of the nodes.
  if (nodes.length > 0) {
    await bench.network().heal(nodes);
    const closed = ctx.faults.heal(nodes.map((n) => `net:${n}`));
    if (closed.length > 0) done.push(`links of ${nodes.join(', ')}`);
  }
  // 2. Device links.
  const devices = h === 'all' ? bench.options.devices : (h.devices ?? []);
  for (const d of devices) {
    await bench.network().healDevice(bench.deviceNode(), d);
    if (ctx.faults.heal([`dev:${d}`]).length > 0) done.push(`${d} link`);
  }
  // 3. Stopped processes, in dependency order: cloud components, then the nodes' edgecores.
  for (const kind of START_ORDER) {
    const targets: (string | undefined)[] = PER_NODE.has(kind)
      ? kind === 'edgecore' || h === 'all'
        ? nodes
        : components.includes(kind)
          ? [...bench.nodes]
          : []
      : components.includes(kind)
        ? [undefined]
        : [];
    await Promise.all(
      targets.map(async (node) => {
        let c;
        try {
          c = bench.component(kind, node);
        } catch {
          return; // not in this bench (a device that is not there)
        }
        if (!c.running() && ctx.faults.openWith([`proc:${c.name}`]).length > 0) {
          await bench.startAgain(kind, node, signal);
          done.push(`${c.name} started`);
        }
        ctx.faults.heal([`proc:${c.name}`]);
      }),
    );
  }
  if (h === 'all') ctx.faults.heal(undefined);
  const text = `${describeHeal(h)}${done.length > 0 ? `: ${done.join(', ')}` : ': nothing to heal'}`;
  ctx.record({ atMs: elapsed(ctx), kind: 'heal', text, stepPath: where.path });
  return done.join(', ') || 'nothing to heal';
}
