// `edgeproof run` end to end, as CI runs it: the real CLI process, a bench of real processes (API
// server, cloudcore, edgecore, the embedded Toxiproxy), real kubectl. Guards the runner's promises:
// a passing scenario exits 0 and writes JUnit, JSON and HTML; a failing one exits 1 and says
// file:line, expected and seen; a bad file exits 2 before anything starts; and nothing it started
// is left running afterwards — also when it is interrupted with SIGINT in the middle of a step.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './support/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'edgeproof-runner-'));
after(() => {
  spawnSync('pkill', ['-KILL', '-f', root]);
  rmSync(root, { recursive: true, force: true });
});

type Run = { code: number | null; signal: string | null; stdout: string; stderr: string };

/** `edgeproof run ARGS`; `onStdout` may act on the output so far (e.g. send a signal). */
function edgeproofRun(
  args: string[],
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
  timeoutMs = 150_000,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Processes whose command line or working directory is inside `dir` (the bench's and its pods'). */
function leftovers(dir: string): string[] {
  const found: string[] = [];
  const byCmdline = spawnSync('pgrep', ['-af', dir], { encoding: 'utf8' }).stdout.trim();
  if (byCmdline !== '') found.push(...byCmdline.split('\n'));
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir))
        found.push(`${pid} (cwd ${readlinkSync(`/proc/${pid}/cwd`)})`);
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

/** A pod on edge-1 with the process runtime: a shell that keeps running. */
const POD = `
  - apply:
      manifest:
        apiVersion: v1
        kind: Pod
        metadata: { name: demo, labels: { app: demo } }
        spec:
          nodeName: edge-1
          terminationGracePeriodSeconds: 1
          containers:
            - name: main
              image: busybox:1.36
              command: [sh, -c, "while true; do sleep 1; done"]
  - wait: { for: pod/demo, condition: Ready, timeout: 40s }
`;

function scenario(name: string, body: string): string {
  const file = join(root, `${name}.yaml`);
  writeFileSync(file, body);
  return file;
}

test('a scenario that holds: exit 0, JUnit, JSON and HTML written, nothing left running', async () => {
  const file = scenario(
    'small',
    `name: small
description: a pod keeps running on a node cut off by a black hole, which goes NotReady and comes back
bench: { nodes: 1, nodeGracePeriod: 5s, statusFrequency: 1s }
invariants:
  - { name: node-ready, kind: nodeReadiness, node: edge-1, notReadyWithin: 15s, readyWithin: 15s }
  - { name: pod-kept, kind: noPodRestart, selector: app=demo, settle: 3s }
steps:${POD}
  - fault: { partition: { nodes: [edge-1], mode: blackhole } }
  - wait: { for: node/edge-1, condition: Ready=Unknown, timeout: 20s }
  - assert: { metaserver: { node: edge-1, get: pod/demo, jsonpath: "{.status.phase}", equals: Running } }
  - heal: all
  - wait: { for: node/edge-1, condition: Ready, timeout: 30s }
  - run: { command: "kubectl get pod demo -o name", expectOutput: "^pod/demo" }
`,
  );
  const reports = join(root, 'small-report');
  const data = join(root, 'small-data');
  const junit = join(root, 'small-junit', 'junit.xml');
  const r = await edgeproofRun([file, '--report-dir', reports, '--junit', junit, '--data-dir', data]);
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /PASSED steps\[3\] \(.*small\.yaml:23\) wait node\/edge-1 Ready=Unknown/);
  assert.match(
    r.stdout,
    /invariant node-ready, window "partition edge-1 \(blackhole\) [\d.]+s–[\d.]+s": PASS \(NotReady after/,
  );
  assert.match(r.stdout, /✓ PASSED small in/);
  assert.match(r.stdout, /all 1 scenario passed/);

  const result = JSON.parse(readFileSync(join(reports, 'result.json'), 'utf8')) as {
    version: number;
    status: string;
    scenarios: {
      name: string;
      status: string;
      steps: { status: string; line: number }[];
      invariants: { status: string }[];
      windows: unknown[];
      logs: { file: string }[];
    }[];
  };
  assert.equal(result.version, 1);
  assert.equal(result.status, 'passed');
  const s = result.scenarios[0];
  assert.equal(s?.name, 'small');
  assert.deepEqual(
    s?.steps.map((x) => x.status),
    Array(8).fill('passed'),
  );
  assert.deepEqual(
    s?.invariants.map((x) => x.status),
    ['pass', 'pass'],
  );
  assert.equal(s?.windows.length, 1);
  for (const l of s?.logs ?? []) assert.ok(existsSync(l.file), l.file);

  const xml = readFileSync(junit, 'utf8');
  assert.match(
    xml,
    /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="edgeproof run" tests="\d+" failures="0" errors="0"/,
  );
  assert.match(xml, /<testsuite name="small" tests="13" failures="0" errors="0" skipped="0"/);
  assert.match(
    xml,
    /<testcase classname="small.invariants" name="node-ready \/ partition edge-1 \(blackhole\) /,
  );
  const html = readFileSync(join(reports, 'report.html'), 'utf8');
  assert.match(html, /<svg [^>]*aria-label="timeline of small"/);
  assert.ok(!existsSync(join(data, 'small')), 'the data dir is removed without --keep-data');
  assert.deepEqual(leftovers(data), []);
});

test('a failed assertion: exit 1, with file:line, expected, seen and the logs around that moment', async () => {
  const file = scenario(
    'failing',
    `name: failing
bench: { nodes: 1, nodeGracePeriod: 5s, statusFrequency: 1s }
steps:${POD}
  - assert: { api: { get: pod/demo, jsonpath: "{.status.phase}", equals: Pending } }
  - sleep: 1s
`,
  );
  const reports = join(root, 'failing-report');
  const data = join(root, 'failing-data');
  const r = await edgeproofRun([file, '--report-dir', reports, '--data-dir', data, '--keep-data']);
  assert.equal(r.code, 1, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(
    r.stdout,
    /FAILED steps\[2\] \(.*failing\.yaml:18\) assert pod\/demo \{\.status\.phase\} = "Pending"/,
  );
  assert.match(r.stdout, /failed at .*failing\.yaml:18, [\d.]+s into the run/);
  assert.match(
    r.stdout,
    /\n {4}expected: pod\/demo \{\.status\.phase\} = "Pending"\n {4}seen: {5}"Running"\n/,
  );
  assert.match(r.stdout, /edgecore\/edge-1 \(.*edgecore-edge-1\.log\), around that moment:\n {6}\S/);
  assert.match(r.stderr, /edgeproof run: 1 of 1 scenario failed: failing \(.*failing\.yaml:18\)/);
  const xml = readFileSync(join(reports, 'junit.xml'), 'utf8');
  assert.match(
    xml,
    /<failure message="expected pod\/demo \{\.status\.phase\} = &quot;Pending&quot;, seen &quot;Running&quot;" type="AssertionError">/,
  );
  assert.match(xml, /<skipped message="an earlier step failed"\/>/);
  const result = JSON.parse(readFileSync(join(reports, 'result.json'), 'utf8')) as {
    status: string;
    scenarios: { failure: { where: string; expected: string; seen: string; logs: unknown[] } }[];
  };
  assert.equal(result.status, 'failed');
  assert.match(result.scenarios[0]?.failure.where ?? '', /failing\.yaml:18$/);
  assert.equal(result.scenarios[0]?.failure.seen, '"Running"');
  assert.ok((result.scenarios[0]?.failure.logs.length ?? 0) > 0);
  assert.ok(existsSync(join(data, 'failing', 'apiserver', 'kubeconfig')), '--keep-data keeps the data dir');
  assert.deepEqual(leftovers(data), []);
});

test('SIGINT in the middle of a step: the bench and its pods are torn down and the reports written', async () => {
  const file = scenario(
    'interrupted',
    `name: interrupted
bench: { nodes: 1, nodeGracePeriod: 5s, statusFrequency: 1s }
steps:${POD}
  - sleep: 2m
`,
  );
  const reports = join(root, 'interrupted-report');
  const data = join(root, 'interrupted-data');
  let sent = false;
  let pods: string[] = [];
  const r = await edgeproofRun([file, '--report-dir', reports, '--data-dir', data], (text, child) => {
    if (sent || !/PASSED steps\[1\]/.test(text)) return;
    sent = true;
    // The pod's process runs now, in its pod folder inside the data dir.
    pods = leftovers(data).filter((l) => l.includes('/edged/pods/'));
    setTimeout(() => child.kill('SIGINT'), 500);
  });
  assert.ok(sent, `never reached the sleep:\n${r.stdout}\n${r.stderr}`);
  assert.ok(pods.length > 0, 'the pod was running before the interruption');
  assert.equal(r.code, 130, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /SIGINT received: stopping the run and tearing the bench down/);
  assert.match(r.stdout, /✗ INTERRUPTED interrupted in/);
  assert.match(r.stderr, /edgeproof run: interrupted/);
  const result = JSON.parse(readFileSync(join(reports, 'result.json'), 'utf8')) as { status: string };
  assert.equal(result.status, 'interrupted');
  assert.deepEqual(leftovers(data), []);
});

test('a bad scenario exits 2 with every problem, before anything starts', async () => {
  const bad = scenario(
    'bad',
    'name: bad\nsteps:\n  - wait: { for: pods, condition: Ready, timeout: soon }\n  - frobnicate: {}\n',
  );
  const good = scenario('good', 'name: good\nsteps: [{ sleep: 1s }]\n');
  const data = join(root, 'bad-data');
  const r = await edgeproofRun([good, bad, '--data-dir', data], undefined, 30_000);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /bad\.yaml:3: steps\[0\]\.wait\.timeout: must be a duration like 30s/);
  assert.match(r.stderr, /bad\.yaml:4: steps\[1\]\.frobnicate: unknown step kind "frobnicate"/);
  assert.equal(r.stdout, '');
  assert.ok(!existsSync(data), 'nothing was started or created');
});

test('a component that crashes, or the scenario running out of time, fails the run and tears it down', async () => {
  const crash = scenario(
    'crash',
    `name: crash
bench: { nodes: 1 }
steps:
  - run: { command: "pkill -KILL -f '[e]dgeproof.ts cloudcore --kubeconfig \${DATA_DIR}'" }
  - sleep: 30s
`,
  );
  // The timeout covers bringing the bench up (10 s on a slow day here), so it leaves room for that.
  const slow = scenario('slow', 'name: slow\ntimeout: 30s\nbench: { nodes: 1 }\nsteps:\n  - sleep: 1m\n');
  const data = join(root, 'crash-data');
  const r = await edgeproofRun([crash, slow, '--report-dir', join(root, 'crash-report'), '--data-dir', data]);
  assert.equal(r.code, 1, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(
    r.stdout,
    /FAILED steps\[1\] \(.*crash\.yaml:5\) sleep 30s \(.*\): interrupted: cloudcore exited unexpectedly \(signal SIGKILL\); see its log/,
  );
  assert.match(
    r.stdout,
    /FAILED steps\[0\] \(.*slow\.yaml:5\) sleep 1m \(.*\): interrupted: the scenario ran out of time \(timeout 30\.0 s\)/,
  );
  assert.match(r.stderr, /2 of 2 scenarios failed: crash \(.*crash\.yaml:5\), slow \(.*slow\.yaml:5\)/);
  assert.deepEqual(leftovers(data), []);
});

test('network faults on the wire: a degraded link delays delivery, a sliced one still delivers, a half-open one stops it one way', async () => {
  const file = scenario(
    'wire',
    `name: wire
bench: { nodes: 1, nodeGracePeriod: 8s, statusFrequency: 1s }
invariants:
  - { name: ready, kind: nodeReadiness, node: edge-1, readyWithin: 40s }
steps:
  - apply:
      manifests:
        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cfg }, data: { v: "0" } }
        - apiVersion: v1
          kind: Pod
          metadata: { name: user }
          spec:
            nodeName: edge-1
            terminationGracePeriodSeconds: 1
            containers:
              - name: main
                image: busybox:1.36
                command: [sh, -c, "while true; do sleep 1; done"]
                env: [{ name: V, valueFrom: { configMapKeyRef: { name: cfg, key: v } } }]
  - wait: { for: configmap/cfg, node: edge-1, jsonpath: "{.data.v}=0", timeout: 40s }
  - fault: { degrade: { nodes: [edge-1], latency: 400ms, jitter: 10ms } }
  - measure:
      name: delivery-over-a-slow-link
      steps:
        - run: { command: "kubectl patch configmap cfg -p '{\\"data\\":{\\"v\\":\\"1\\"}}'" }
        - wait: { for: configmap/cfg, node: edge-1, jsonpath: "{.data.v}=1", timeout: 20s }
  - heal: all
  - fault: { degrade: { nodes: [edge-1], slice: 16, sliceDelay: 1ms } }
  - name: a link that delivers 16-byte pieces still carries the protocol
    run: { command: "kubectl patch configmap cfg -p '{\\"data\\":{\\"v\\":\\"1b\\"}}'" }
  - wait: { for: configmap/cfg, node: edge-1, jsonpath: "{.data.v}=1b", timeout: 30s }
  - heal: all
  - fault: { partition: { nodes: [edge-1], mode: half-open } }
  - run: { command: "kubectl patch configmap cfg -p '{\\"data\\":{\\"v\\":\\"2\\"}}'" }
  - sleep: 3s
  - name: the cloud's bytes do not reach the edge
    assert: { metaserver: { node: edge-1, get: configmap/cfg, jsonpath: "{.data.v}", equals: "1b" } }
  - name: the edge's still reach the cloud
    assert: { api: { get: node/edge-1, jsonpath: '{.status.conditions[?(@.type=="Ready")].status}', equals: "True" } }
  - heal: all
  - wait: { for: configmap/cfg, node: edge-1, jsonpath: "{.data.v}=2", timeout: 40s }
`,
  );
  const reports = join(root, 'wire-report');
  const data = join(root, 'wire-data');
  const r = await edgeproofRun([file, '--report-dir', reports, '--data-dir', data]);
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  const result = JSON.parse(readFileSync(join(reports, 'result.json'), 'utf8')) as {
    scenarios: {
      measurements: { name: string; samples: number[] }[];
      windows: { kind: string; label: string }[];
    }[];
  };
  const s = result.scenarios[0];
  const delivery = s?.measurements.find((m) => m.name === 'delivery-over-a-slow-link')?.samples[0] ?? 0;
  // 400 ms each way through the proxy: the change and the edge's ACK cannot be faster.
  assert.ok(delivery >= 400, `delivery took ${delivery} ms over a 400 ms link`);
  assert.deepEqual(
    s?.windows.map((w) => [w.kind, w.label]),
    [
      ['degrade', 'degrade edge-1 (latency 400ms ±10ms)'],
      ['degrade', 'degrade edge-1 (sliced into 16 B every 1ms)'],
      ['partition', 'partition edge-1 (half-open)'],
    ],
  );
  assert.deepEqual(leftovers(data), []);
});
