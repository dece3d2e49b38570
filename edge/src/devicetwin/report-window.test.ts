// The report window's sizing from ACK round trips (report-window.ts): times are passed in, as the
// outbox passes its injected clock's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REPORT_WINDOW, ReportWindow } from './report-window.ts';

/** ACKs `count` full windows' worth of reports, each taking `rttMs`, starting at `now`. */
function ackFull(w: ReportWindow, count: number, rttMs: number, now: { t: number }): void {
  for (let i = 0; i < count; i++) {
    now.t += 1;
    w.acked(now.t - rttMs, now.t, w.size());
  }
}

test('a long link without queueing opens the window: a 600 ms link is not held to 32 reports per round trip', () => {
  const w = new ReportWindow();
  const now = { t: 0 };
  assert.equal(w.size(), 32);
  ackFull(w, 500, 600, now);
  assert.ok(w.size() >= 500, `window ${w.size()}`);
  ackFull(w, 5000, 600, now);
  assert.equal(w.size(), 1024, 'up to max');
});

test('round trips growing over the shortest seen (a queue in the cloud) shrink the window to what keeps the queue short', () => {
  const { queuedLow, queuedHigh, min } = DEFAULT_REPORT_WINDOW;
  const w = new ReportWindow();
  const now = { t: 0 };
  ackFull(w, 50, 5, now); // an idle cloud: 5 ms
  const opened = w.size();
  assert.ok(opened > 32);
  // A loaded cloud: round trips of 6 ms against 5 ms. Settled, the estimated queue,
  // window × (1 − 5/6), is within [low, high] (a window of 12–24).
  ackFull(w, 200, 6, now);
  const queued = w.size() * (1 - 5 / 6);
  assert.ok(queued >= queuedLow - 1 && queued <= queuedHigh + 1, `window ${w.size()}, queued ${queued}`);
  // A saturated cloud: 300 ms. Even the smallest window queues more than `queuedHigh`: it stays there.
  ackFull(w, 200, 300, now);
  assert.equal(w.size(), min);
});

test('a node with little to send does not grow its window (only a full window learns)', () => {
  const w = new ReportWindow();
  for (let t = 1; t <= 1000; t++) w.acked(t - 5, t, 3);
  assert.equal(w.size(), 32);
});

test('a route that got slower for good is learnt within two periods, not read as queueing forever', () => {
  const w = new ReportWindow({ minRttPeriodMs: 1000 });
  const now = { t: 0 };
  ackFull(w, 100, 10, now);
  const opened = w.size();
  // From now on every round trip is 200 ms: at first that looks like queueing and shrinks the window.
  for (let i = 0; i < 100; i++) {
    now.t += 10;
    w.acked(now.t - 200, now.t, w.size());
  }
  const shrunk = w.size();
  assert.ok(shrunk < opened - 50, `window ${opened} → ${shrunk}`);
  // Two periods later 200 ms is the shortest round trip seen, and the window opens again.
  for (let i = 0; i < 400; i++) {
    now.t += 10;
    w.acked(now.t - 200, now.t, w.size());
  }
  assert.ok(w.size() > shrunk + 100, `window ${shrunk} → ${w.size()}`);
});

test('reset(): a new connection starts again from the initial window', () => {
  const w = new ReportWindow();
  const now = { t: 0 };
  ackFull(w, 100, 600, now);
  assert.ok(w.size() > 32);
  w.reset();
  assert.equal(w.size(), 32);
});
