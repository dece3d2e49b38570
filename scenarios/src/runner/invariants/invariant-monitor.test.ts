// The invariant window logic with a FakeClock: a scripted cluster answers the monitor's samples as
// time is stepped, fault windows open and close through the FaultTracker on the same clock, and the
// verdicts per window are checked — no real time, no processes. Nodes are sampled every 500 ms and
// pods every 1 s from t=0, so a change made at t is seen at the next sample after t.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@edgeproof/core';
import { FaultTracker } from '../fault-tracker.ts';
import type { InvariantNode, InvariantSpec } from '../scenario-types.ts';
import { InvariantMonitor } from './invariant-monitor.ts';
import type { ClusterSource, ConfigMapFeed, ConfigMapObservation } from './kube-sources.ts';
import type { PodState } from './pod-stability.ts';
import type { TwinValues } from './twin-convergence.ts';

/** What the scripted cluster answers; the test changes it as it goes. */
class ScriptedCluster {
  ready: Record<string, string> = { 'edge-1': 'True', 'edge-2': 'True' };
  pods: Record<string, PodState> = {};
  twin: TwinValues = {};
  down = false;
}

class ScriptedFeed implements ConfigMapFeed {
  private emit: ((o: ConfigMapObservation) => void) | undefined;
  start(onObservation: (o: ConfigMapObservation) => void): void {
    this.emit = onObservation;
  }
  stop(): void {
    this.emit = undefined;
  }
  push(o: ConfigMapObservation): void {
    this.emit?.(o);
  }
}

function node(spec: InvariantSpec, line = 3): InvariantNode {
  return { path: 'invariants[0]', line, spec };
}

type Bench = {
  clock: FakeClock;
  faults: FaultTracker;
  cluster: ScriptedCluster;
  monitor: InvariantMonitor;
  cloud: ScriptedFeed;
  edge: ScriptedFeed;
  /** Steps the clock in 100 ms ticks, letting sample promises settle. */
  advance: (ms: number) => Promise<void>;
  now: () => number;
};

function bench(invariants: InvariantSpec[]): Bench {
  const clock = new FakeClock();
  const t0 = clock.now();
  const cluster = new ScriptedCluster();
  const source: ClusterSource = {
    nodeReadiness: () =>
      cluster.down ? Promise.reject(new Error('connection refused')) : Promise.resolve({ ...cluster.ready }),
    pods: () => Promise.resolve({ ...cluster.pods }),
    twin: () => Promise.resolve({ ...cluster.twin }),
  };
  const cloud = new ScriptedFeed();
  const edge = new ScriptedFeed();
  const monitor = new InvariantMonitor({
    invariants: invariants.map((s, i) => node(s, 3 + i)),
    cluster: source,
    feeds: () => ({ cloud, edge }),
    clock,
    t0,
  });
  monitor.start();
  return {
    clock,
    faults: new FaultTracker(clock, t0),
    cluster,
    monitor,
    cloud,
    edge,
    now: () => clock.now() - t0,
    advance: async (ms) => {
      for (let done = 0; done < ms; done += 100) {
        clock.advance(Math.min(100, ms - done));
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

const partition = {
  kind: 'partition' as const,
  label: 'partition edge-1 (blackhole)',
  stepPath: 'steps[2]',
  line: 9,
};

test('nodeReadiness passes a cut that turns the node NotReady in time and Ready after heal', async () => {
  const b = bench([
    { name: 'ready', kind: 'nodeReadiness', node: 'edge-1', notReadyWithin: '20s', readyWithin: '15s' },
  ]);
  await b.advance(5_000);
  b.faults.open({ ...partition, cuts: ['edge-1'], nodes: ['edge-1'], keys: ['net:edge-1'] });
  await b.advance(11_200);
  b.cluster.ready['edge-1'] = 'Unknown';
  await b.advance(10_000);
  b.faults.heal(['net:edge-1']);
  await b.advance(3_000);
  b.cluster.ready['edge-1'] = 'True';
  await b.advance(2_000);
  await b.monitor.stop();
  const [r] = b.monitor.evaluate(b.faults.windows(), b.now());
  assert.equal(r?.status, 'pass');
  assert.deepEqual(
    r?.verdicts.map((v) => [v.windowLabel, v.status, v.message]),
    [
      ['partition edge-1 (blackhole) 5.0s–26.2s', 'pass', 'NotReady after 11.5 s, Ready 3.3 s after heal'],
      ['steady state (outside fault windows)', 'pass', 'Ready at all 10 looks'],
    ],
  );
});

test('nodeReadiness fails a cut the cloud does not notice, with expected and seen', async () => {
  const b = bench([
    { name: 'ready', kind: 'nodeReadiness', node: 'edge-1', notReadyWithin: '20s', readyWithin: '15s' },
  ]);
  await b.advance(1_000);
  b.faults.open({ ...partition, cuts: ['edge-1'], nodes: ['edge-1'], keys: ['net:edge-1'] });
  await b.advance(25_000);
  b.faults.heal(undefined);
  await b.advance(1_000);
  await b.monitor.stop();
  const [r] = b.monitor.evaluate(b.faults.windows(), b.now());
  assert.equal(r?.status, 'fail');
  const v = r?.verdicts[0];
  assert.equal(v?.status, 'fail');
  assert.equal(v?.expected, 'edge-1 NotReady within 20.0 s of the cut');
  assert.equal(v?.seen, 'Ready for all 25.0 s of the window');
  assert.equal(v?.atMs, 21_000);
});

test('nodeReadiness fails a node that does not come back within readyWithin of the heal', async () => {
  const b = bench([{ name: 'ready', kind: 'nodeReadiness', node: 'edge-1', readyWithin: '5s' }]);
  await b.advance(1_000);
  b.faults.open({ ...partition, cuts: ['edge-1'], nodes: ['edge-1'], keys: ['net:edge-1'] });
  b.cluster.ready['edge-1'] = 'Unknown';
  await b.advance(4_000);
  b.faults.heal(['net:edge-1']);
  await b.advance(8_000);
  b.cluster.ready['edge-1'] = 'True';
  await b.advance(1_000);
  await b.monitor.stop();
  const v = b.monitor.evaluate(b.faults.windows(), b.now())[0]?.verdicts[0];
  assert.equal(v?.status, 'fail');
  assert.equal(v?.seen, 'Ready only after 8.5 s');
});

test('overlapping cuts: a node is judged Ready from when the last of them ends', async () => {
  const b = bench([
    { name: 'ready', kind: 'nodeReadiness', node: 'edge-1', notReadyWithin: '10s', readyWithin: '5s' },
  ]);
  await b.advance(1_000);
  b.faults.open({ ...partition, cuts: ['edge-1'], nodes: ['edge-1'], keys: ['net:edge-1'] });
  await b.advance(6_000);
  // edgecore killed while the link is cut; the cloud notices only now.
  b.faults.open({
    kind: 'kill',
    label: 'kill edgecore/edge-1',
    cuts: ['edge-1'],
    nodes: ['edge-1'],
    components: ['edgecore/edge-1'],
    stepPath: 'steps[3]',
    line: 10,
    keys: ['proc:edgecore/edge-1'],
  });
  await b.advance(100);
  b.faults.heal(['net:edge-1']);
  await b.advance(400);
  b.cluster.ready['edge-1'] = 'Unknown';
  await b.advance(20_000);
  b.faults.heal(['proc:edgecore/edge-1']);
  await b.advance(2_000);
  b.cluster.ready['edge-1'] = 'True';
  await b.advance(1_000);
  await b.monitor.stop();
  const r = b.monitor.evaluate(b.faults.windows(), b.now())[0];
  assert.equal(r?.status, 'pass', JSON.stringify(r?.verdicts, null, 1));
  assert.match(
    r?.verdicts[0]?.message ?? '',
    /^NotReady after 7\.0 s, Ready 2\.5 s after heal \(cut off until 27\.5s\)$/,
  );
});

test('staysReady: a flap must not turn the node NotReady; outside windows it must stay Ready', async () => {
  const b = bench([
    { name: 'ready', kind: 'nodeReadiness', node: 'edge-1', readyWithin: '3s', staysReady: true },
  ]);
  await b.advance(1_000);
  const flap = b.faults.open({
    kind: 'flap',
    label: 'flap edge-1',
    nodes: ['edge-1'],
    stepPath: 'steps[1]',
    line: 5,
    keys: [],
  });
  await b.advance(2_000);
  b.cluster.ready['edge-1'] = 'False';
  await b.advance(1_000);
  b.cluster.ready['edge-1'] = 'True';
  await b.advance(1_000);
  b.faults.close(flap);
  await b.advance(10_000);
  b.cluster.ready['edge-1'] = 'Unknown';
  await b.advance(1_000);
  b.cluster.ready['edge-1'] = 'True';
  await b.advance(1_000);
  await b.monitor.stop();
  const r = b.monitor.evaluate(b.faults.windows(), b.now())[0];
  assert.deepEqual(
    r?.verdicts.map((v) => [v.window, v.status, v.message]),
    [
      ['w1', 'fail', 'NotReady 2.5 s into the window'],
      ['steady', 'fail', 'NotReady at 15.5 s with no fault in place'],
    ],
  );
});

test('faults of another node are not judged for this one; samples without an answer are skipped', async () => {
  const b = bench([{ name: 'ready', kind: 'nodeReadiness', node: 'edge-1', readyWithin: '3s' }]);
  await b.advance(1_000);
  b.faults.open({
    ...partition,
    label: 'partition edge-2',
    cuts: ['edge-2'],
    nodes: ['edge-2'],
    keys: ['net:edge-2'],
  });
  b.cluster.down = true;
  await b.advance(3_000);
  b.cluster.down = false;
  b.faults.heal(undefined);
  await b.advance(1_000);
  await b.monitor.stop();
  const r = b.monitor.evaluate(b.faults.windows(), b.now())[0];
  assert.deepEqual(
    r?.verdicts.map((v) => v.window),
    ['steady'],
  );
  assert.equal(r?.status, 'pass');
});

test('noPodRestart charges a restart seen after heal to the window, within settle', async () => {
  const b = bench([{ name: 'pods', kind: 'noPodRestart', selector: 'app=demo', settle: '5s' }]);
  b.cluster.pods = { demo: { uid: 'aaaaaaaa-1', restarts: 0 }, other: { uid: 'bbbbbbbb-1', restarts: 0 } };
  await b.advance(2_000);
  b.faults.open({ ...partition, cuts: ['edge-1'], nodes: ['edge-1'], keys: ['net:edge-1'] });
  await b.advance(5_000);
  b.faults.heal(undefined);
  await b.advance(2_000);
  b.cluster.pods = { demo: { uid: 'aaaaaaaa-1', restarts: 1 }, other: { uid: 'bbbbbbbb-1', restarts: 0 } };
  await b.advance(2_000);
  await b.monitor.stop();
  const r = b.monitor.evaluate(b.faults.windows(), b.now())[0];
  assert.equal(r?.status, 'fail');
  assert.deepEqual(
    r?.verdicts.map((v) => [v.window, v.status, v.message]),
    [
      ['w1', 'fail', 'pod demo restarted (restartCount 0 → 1) at 10.0 s'],
      ['steady', 'pass', '2 pods: UID and restart count unchanged'],
    ],
  );
});

test('noPodRecreated sees a new UID under the same name, and ignores restarts and deletions', async () => {
  const b = bench([{ name: 'pods', kind: 'noPodRecreated', selector: 'app=demo' }]);
  b.cluster.pods = { demo: { uid: 'aaaaaaaa-1', restarts: 0 }, gone: { uid: 'cccccccc-1', restarts: 0 } };
  await b.advance(2_000);
  b.cluster.pods = { demo: { uid: 'aaaaaaaa-1', restarts: 3 } };
  await b.advance(2_000);
  b.cluster.pods = { demo: { uid: 'dddddddd-2', restarts: 0 } };
  await b.advance(2_000);
  await b.monitor.stop();
  const v = b.monitor.evaluate(b.faults.windows(), b.now())[0]?.verdicts[0];
  assert.equal(v?.window, 'steady');
  assert.equal(v?.status, 'fail');
  assert.equal(v?.message, 'pod demo recreated (uid aaaaaaaa → dddddddd) at 5.0 s');
});

test('noDuplicateOrLostDelivery: coalesced versions are fine; a duplicate, a step back and a lost version are not', async () => {
  const spec: InvariantSpec = {
    name: 'cm',
    kind: 'noDuplicateOrLostDelivery',
    configMap: 'cfg',
    node: 'edge-1',
    settle: '3s',
  };
  // 1. A clean run: versions 10, 11 (superseded within 1 s: may be coalesced), 12.
  const good = bench([spec]);
  good.cloud.push({ type: 'LIST', rv: 10, connection: 1 });
  good.edge.push({ type: 'LIST', rv: 10, connection: 1 });
  await good.advance(4_000);
  good.faults.open({ ...partition, cuts: ['edge-1'], nodes: ['edge-1'], keys: ['net:edge-1'] });
  good.cloud.push({ type: 'MODIFIED', rv: 11, connection: 1 });
  await good.advance(1_000);
  good.cloud.push({ type: 'MODIFIED', rv: 12, connection: 1 });
  await good.advance(1_000);
  good.faults.heal(undefined);
  await good.advance(500);
  // The edge reconnects its watch (a new connection lists again) and gets 12.
  good.edge.push({ type: 'LIST', rv: 10, connection: 2 });
  good.edge.push({ type: 'MODIFIED', rv: 12, connection: 2 });
  assert.equal(
    good.monitor.pendingUntilMs(good.faults.windows(), good.now()),
    good.now(),
    'converged: nothing to wait for',
  );
  await good.advance(4_000);
  await good.monitor.stop();
  const ok = good.monitor.evaluate(good.faults.windows(), good.now())[0];
  assert.equal(ok?.status, 'pass', JSON.stringify(ok?.verdicts));
  assert.equal(
    ok?.verdicts[0]?.message,
    'no duplicate or lost version (3 cloud versions, 2 seen at the edge)',
  );

  // 2. The edge gets 21 twice on one connection, then 20 (listed on it already) after 21; 22 never
  //    arrives.
  const bad = bench([spec]);
  bad.cloud.push({ type: 'LIST', rv: 20, connection: 1 });
  bad.edge.push({ type: 'LIST', rv: 20, connection: 1 });
  await bad.advance(4_000);
  bad.cloud.push({ type: 'MODIFIED', rv: 21, connection: 1 });
  bad.edge.push({ type: 'MODIFIED', rv: 21, connection: 1 });
  await bad.advance(1_000);
  bad.edge.push({ type: 'MODIFIED', rv: 21, connection: 1 });
  bad.edge.push({ type: 'MODIFIED', rv: 20, connection: 1 });
  await bad.advance(4_000);
  bad.cloud.push({ type: 'MODIFIED', rv: 22, connection: 1 });
  assert.equal(
    bad.monitor.pendingUntilMs(bad.faults.windows(), bad.now()),
    bad.now() + 3_000,
    'waits settle for 22',
  );
  await bad.advance(4_000);
  await bad.monitor.stop();
  const r = bad.monitor.evaluate(bad.faults.windows(), bad.now())[0];
  assert.equal(r?.status, 'fail');
  assert.equal(
    r?.verdicts[0]?.seen,
    'version 21 delivered twice; version 20 delivered twice; version 20 seen after the newer 21; version 22 (newest on the cloud for 4.0 s, 4.0 s of it outside faults) never reached the edge; the edge ended at version 20, the cloud at 22',
  );
});

test('pendingUntilMs waits readyWithin after a heal unless the node is already back', async () => {
  const b = bench([{ name: 'ready', kind: 'nodeReadiness', node: 'edge-1', readyWithin: '15s' }]);
  await b.advance(1_000);
  b.faults.open({ ...partition, cuts: ['edge-1'], nodes: ['edge-1'], keys: ['net:edge-1'] });
  b.cluster.ready['edge-1'] = 'Unknown';
  await b.advance(2_000);
  b.faults.heal(undefined);
  const healedAt = b.now();
  assert.equal(b.monitor.pendingUntilMs(b.faults.windows(), b.now()), healedAt + 15_000);
  b.cluster.ready['edge-1'] = 'True';
  await b.advance(600);
  assert.ok(b.monitor.pendingUntilMs(b.faults.windows(), b.now()) <= b.now());
  await b.monitor.stop();
});

test('twinConverges: reported must reach desired within the time after heal, and at the end', async () => {
  const spec: InvariantSpec = {
    name: 'twin',
    kind: 'twinConverges',
    device: 'thermo',
    property: 'enable',
    within: '5s',
  };
  const b = bench([spec]);
  b.cluster.twin = { desired: '1', reported: '1' };
  await b.advance(2_000);
  const cut = b.faults.open({
    kind: 'partition',
    label: 'partition-device modbus',
    components: ['device/modbus'],
    stepPath: 'steps[1]',
    line: 7,
    keys: ['dev:modbus'],
  });
  b.cluster.twin = { desired: '0', reported: '1' };
  await b.advance(3_000);
  b.faults.close(cut);
  assert.equal(b.monitor.pendingUntilMs(b.faults.windows(), b.now()), b.now() + 5_000);
  await b.advance(2_000);
  b.cluster.twin = { desired: '0', reported: '0' };
  await b.advance(1_000);
  // A second cut after which the device never follows.
  const again = b.faults.open({ ...partition, cuts: ['edge-1'], nodes: ['edge-1'], keys: ['net:edge-1'] });
  b.cluster.twin = { desired: '1', reported: '0' };
  await b.advance(1_000);
  b.faults.close(again);
  await b.advance(7_000);
  await b.monitor.stop();
  const r = b.monitor.evaluate(b.faults.windows(), b.now())[0];
  assert.deepEqual(
    r?.verdicts.map((v) => [v.window, v.status, v.message]),
    [
      ['w1', 'pass', 'reported = desired ("0") 3.0 s after the end'],
      ['w2', 'fail', 'thermo enable: reported not the desired value within 5.0 s of the end'],
      ['steady', 'fail', 'thermo enable did not converge'],
    ],
  );
  assert.equal(r?.verdicts[1]?.seen, 'desired "1", reported "0"');
});
