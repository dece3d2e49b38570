// The reports made from a run's result: JUnit XML that an XML parser accepts, with the counts and
// failure messages CI shows; the HTML page, self-contained; the JSON result's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlReport } from './html.ts';
import { junitXml } from './junit.ts';
import { summarize } from './measurements.ts';
import { REPORT_VERSION, type RunReport, type ScenarioResult } from './result-types.ts';

function passed(): ScenarioResult {
  return {
    name: 'offline-autonomy',
    file: 'scenarios/offline-autonomy.yaml',
    status: 'passed',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 42_000,
    benchMs: 9_000,
    steps: [
      {
        path: 'steps[0]',
        line: 12,
        kind: 'apply',
        label: 'apply demo.yaml',
        status: 'passed',
        startMs: 9_000,
        endMs: 9_200,
      },
      {
        path: 'steps[1]',
        line: 13,
        kind: 'repeat',
        label: 'repeat 2×',
        status: 'passed',
        startMs: 9_200,
        endMs: 12_000,
        children: [1, 2].map((iteration) => ({
          path: 'steps[1].repeat.steps[0]',
          line: 15,
          kind: 'sleep' as const,
          label: 'sleep 1s',
          iteration,
          status: 'passed' as const,
          startMs: 9_200 + iteration * 1000,
          endMs: 10_200 + iteration * 1000,
        })),
      },
    ],
    windows: [
      {
        id: 'w1',
        kind: 'partition',
        label: 'partition edge-1 (blackhole)',
        cuts: ['edge-1'],
        nodes: ['edge-1'],
        components: [],
        startMs: 12_300,
        endMs: 42_000,
        stepPath: 'steps[2]',
        line: 20,
      },
    ],
    invariants: [
      {
        name: 'node-not-ready-after-cut',
        kind: 'nodeReadiness',
        path: 'invariants[0]',
        line: 5,
        status: 'pass',
        verdicts: [
          {
            window: 'w1',
            windowLabel: 'partition edge-1 (blackhole) 12.3s–42.0s',
            status: 'pass',
            message: 'NotReady after 11.2 s',
          },
          {
            window: 'steady',
            windowLabel: 'steady state (outside fault windows)',
            status: 'skip',
            message: 'no looks',
          },
        ],
      },
    ],
    measurements: [summarize('reconnect-time', [1200, 900, 3000])],
    events: [{ atMs: 12_300, kind: 'fault', text: 'partition edge-1 (blackhole)', stepPath: 'steps[2]' }],
    logs: [{ component: 'cloudcore', file: '/r/logs/offline-autonomy/cloudcore.log' }],
    dataDir: '/tmp/x',
  };
}

function failed(): ScenarioResult {
  return {
    ...passed(),
    name: 'weird-<&>"chars',
    status: 'failed',
    failure: {
      message:
        'wait pods app=demo Ready=True: expected pods "app=demo" Ready, seen <none> & \u001b[31mred\u001b[0m',
      where: 'scenarios/x.yaml:12',
      expected: 'pods app=demo Ready=True within 60.0 s',
      seen: 'demo Ready=False',
      atMs: 30_000,
      logs: [
        {
          component: 'edgecore/edge-1',
          file: '/r/logs/x/edgecore-edge-1.log',
          lines: ['a < b && c > d', 'bell\u0007'],
        },
      ],
    },
    steps: [
      {
        path: 'steps[0]',
        line: 12,
        kind: 'wait',
        label: 'wait pods app=demo Ready=True',
        status: 'failed',
        startMs: 9_000,
        endMs: 69_000,
        message: 'expected pods app=demo Ready=True within 60.0 s, seen demo Ready=False',
        expected: 'pods app=demo Ready=True within 60.0 s',
        seen: 'demo Ready=False',
      },
      {
        path: 'steps[1]',
        line: 13,
        kind: 'sleep',
        label: 'sleep 1s',
        status: 'skipped',
        message: 'an earlier step failed',
      },
    ],
  };
}

function report(): RunReport {
  return {
    version: REPORT_VERSION,
    tool: 'edgeproof run',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 120_000,
    status: 'failed',
    scenarios: [passed(), failed()],
  };
}

type XmlElement = { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string };

/**
 * A strict little XML reader for what junit.ts writes (declaration, elements, attributes, text,
 * the five entities and numeric references): throws on anything not well-formed.
 */
function parseXml(xml: string): XmlElement {
  let i = 0;
  const decode = (s: string): string => {
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(s)) throw new Error(`bad entity in ${JSON.stringify(s)}`);
    if (/[<]/.test(s)) throw new Error(`raw < in ${JSON.stringify(s)}`);
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(s)) throw new Error('control character');
    return s
      .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  };
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!decl) throw new Error('no XML declaration');
  i = decl[0].length;
  const element = (): XmlElement => {
    const open = /^<([A-Za-z][\w.-]*)((?:\s+[\w.-]+="[^"]*")*)\s*(\/?)>/.exec(xml.slice(i));
    if (!open) throw new Error(`expected an element at ${i}: ${xml.slice(i, i + 40)}`);
    i += open[0].length;
    const attrs: Record<string, string> = {};
    for (const m of (open[2] ?? '').matchAll(/([\w.-]+)="([^"]*)"/g)) {
      if (m[1] === undefined || m[1] in attrs) throw new Error(`duplicate attribute ${m[1]}`);
      attrs[m[1]] = decode(m[2] ?? '');
    }
    const el: XmlElement = { name: open[1] ?? '', attrs, children: [], text: '' };
    if (open[3] === '/') return el;
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) throw new Error(`unclosed <${el.name}>`);
      el.text += decode(xml.slice(i, lt));
      i = lt;
      if (xml.startsWith(`</${el.name}>`, i)) {
        i += el.name.length + 3;
        return el;
      }
      if (xml.startsWith('</', i)) throw new Error(`mismatched close at ${i} inside <${el.name}>`);
      el.children.push(element());
    }
  };
  const root = element();
  if (xml.slice(i).trim() !== '') throw new Error('content after the root element');
  return root;
}

const all = (el: XmlElement, name: string): XmlElement[] => [
  ...(el.name === name ? [el] : []),
  ...el.children.flatMap((c) => all(c, name)),
];

test('JUnit XML is well-formed, with one testsuite per scenario and counts that add up', () => {
  const root = parseXml(junitXml(report()));
  assert.equal(root.name, 'testsuites');
  const suites = all(root, 'testsuite');
  assert.deepEqual(
    suites.map((s) => s.attrs.name),
    ['offline-autonomy', 'weird-<&>"chars'],
  );
  for (const s of suites) {
    const cases = all(s, 'testcase');
    assert.equal(Number(s.attrs.tests), cases.length);
    assert.equal(Number(s.attrs.failures), cases.filter((c) => all(c, 'failure').length > 0).length);
    assert.equal(Number(s.attrs.skipped), cases.filter((c) => all(c, 'skipped').length > 0).length);
  }
  assert.equal(
    Number(root.attrs.tests),
    suites.reduce((n, s) => n + Number(s.attrs.tests), 0),
  );
});

test('JUnit has a testcase per step (rounds of repeat too) and per invariant window', () => {
  const suite = all(parseXml(junitXml(report())), 'testsuite')[0];
  assert.ok(suite);
  const names = all(suite, 'testcase').map(
    (c) => `${c.attrs.classname} | ${c.attrs.name} | ${c.attrs.line ?? ''}`,
  );
  assert.deepEqual(names, [
    'offline-autonomy.bench | bench up | ',
    'offline-autonomy.steps | steps[0] apply demo.yaml | 12',
    'offline-autonomy.steps | steps[1] repeat 2× | 13',
    'offline-autonomy.steps | steps[1].repeat.steps[0] [round 1] sleep 1s | 15',
    'offline-autonomy.steps | steps[1].repeat.steps[0] [round 2] sleep 1s | 15',
    'offline-autonomy.invariants | node-not-ready-after-cut / partition edge-1 (blackhole) 12.3s–42.0s | 5',
    'offline-autonomy.invariants | node-not-ready-after-cut / steady state (outside fault windows) | 5',
  ]);
  const props = all(suite, 'property').map((p) => `${p.attrs.name}=${p.attrs.value}`);
  assert.ok(
    props.includes('measure.reconnect-time=n=3 p50=1200ms p90=3000ms p99=3000ms max=3000ms'),
    props.join('\n'),
  );
});

test('a JUnit failure says expected vs seen, where, and the log lines; escapes and strips what XML cannot hold', () => {
  const suite = all(parseXml(junitXml(report())), 'testsuite')[1];
  assert.ok(suite);
  const failing = all(suite, 'testcase').find((c) => all(c, 'failure').length > 0);
  const failure = failing && all(failing, 'failure')[0];
  assert.equal(
    failure?.attrs.message,
    'expected pods app=demo Ready=True within 60.0 s, seen demo Ready=False',
  );
  assert.match(
    failure?.text ?? '',
    /^scenarios\/offline-autonomy\.yaml:12: steps\[0\] wait pods app=demo Ready=True/,
  );
  assert.match(failure?.text ?? '', /edgecore\/edge-1 .* around that moment:\na < b && c > d\nbell/);
  const out = all(suite, 'system-out')[0]?.text ?? '';
  assert.match(out, /seen <none> & red$/m);
  const skipped = all(suite, 'skipped')[0];
  assert.equal(skipped?.attrs.message, 'an earlier step failed');
});

test('the HTML report is one self-contained page with a timeline', () => {
  const html = htmlReport(report(), '/r/report.html');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<svg [^>]*role="img"/);
  assert.ok(!/<script|<link|src="http|@import/.test(html), 'no scripts, stylesheets or remote assets');
  assert.match(html, /partition edge-1 \(blackhole\) 12\.3s–42\.0s/);
  assert.match(html, /weird-&lt;&amp;&gt;&quot;chars/);
  assert.match(html, /<a href="logs\/offline-autonomy\/cloudcore\.log">cloudcore<\/a>/);
  assert.match(html, /expected: <code>pods app=demo Ready=True within 60\.0 s<\/code>/);
});

test('measurements: nearest-rank percentiles', () => {
  const m = summarize('x', [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
  assert.deepEqual([m.min, m.p50, m.p90, m.p99, m.max, m.mean], [1, 5, 9, 10, 10, 6]);
  assert.deepEqual(summarize('none', []).samples, []);
});

test('the JSON result is plain data that survives a round trip', () => {
  const r = report();
  const back = JSON.parse(JSON.stringify(r)) as RunReport;
  assert.deepEqual(back, r);
  assert.equal(back.version, 1);
});
