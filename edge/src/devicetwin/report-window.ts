/**
 * How many reports a node keeps un-ACKed at once (ReportOutbox's window), sized from the ACK round
 * trips the way TCP Vegas sizes its congestion window (Brakmo & Peterson, "TCP Vegas: End to End
 * Congestion Avoidance on a Global Internet", IEEE JSAC 1995): the shortest round trip seen is the
 * link's own delay; the amount by which a round trip exceeds it is queueing, and
 * `window × (1 − shortest / rtt)` estimates how many of our reports wait in a queue (the cloud's
 * write queue, mostly). Below `queuedLow` the window grows, above `queuedHigh` it shrinks.
 *
 * Why not a fixed window: the right size is the link's delay times the cloud's pace. A fixed 32
 * either lets ten busy nodes keep hundreds of reports queued in the cloud, each as old as the queue
 * (twin bench), or holds a gateway with hundreds of devices behind a 600 ms satellite link to 32
 * reports per 600 ms. Here a busy cloud sees a short queue, and a long link gets a wide window.
 *
 * The shortest round trip is kept per period of `minRttPeriodMs` (the smaller of this period's and
 * the last one's), so a route that got slower for good is learnt within two periods instead of
 * being read as queueing forever (Vegas's known weakness).
 */

export interface ReportWindowOptions {
  /** The window a fresh connection starts with. */
  initial?: number;
  /** It never shrinks below this (enough to keep the cloud busy when the link is fast). */
  min?: number;
  /** Nor grows above this. */
  max?: number;
  /** Estimated reports waiting in queues below which the window grows, and above which it shrinks. */
  queuedLow?: number;
  queuedHigh?: number;
  minRttPeriodMs?: number;
}

export const DEFAULT_REPORT_WINDOW = {
  initial: 32,
  min: 8,
  max: 1024,
  // Linux's Vegas (net/ipv4/tcp_vegas.c): alpha = 2, beta = 4 packets queued per connection. Ten
  // nodes at 4/16 kept ~150 reports queued in a saturated cloud, ~80 ms of each report's latency
  // (twin bench: p50 at 10,000 updates/s 160 → 108 ms).
  queuedLow: 2,
  queuedHigh: 4,
  minRttPeriodMs: 30_000,
} as const;

export class ReportWindow {
  private readonly opts: Required<ReportWindowOptions>;
  private window: number;
  private minThisPeriod = Infinity;
  private minLastPeriod = Infinity;
  private periodStart: number | undefined;

  constructor(options: ReportWindowOptions = {}) {
    this.opts = { ...DEFAULT_REPORT_WINDOW, ...options };
    this.window = this.opts.initial;
  }

  /** Reports that may be un-ACKed at once now. */
  size(): number {
    return Math.floor(this.window);
  }

  /**
   * A report sent at `sentAt` was ACKed at `now` (milliseconds on the same clock); `unacked` reports
   * were still out before this ACK. The window grows only when it was full: a node with little to
   * send learns nothing about how much more the path would take (TCP's "cwnd-limited" rule).
   */
  acked(sentAt: number, now: number, unacked: number): void {
    const rtt = Math.max(now - sentAt, 0.1);
    if (this.periodStart === undefined || now - this.periodStart >= this.opts.minRttPeriodMs) {
      this.minLastPeriod = this.minThisPeriod;
      this.minThisPeriod = Infinity;
      this.periodStart = now;
    }
    this.minThisPeriod = Math.min(this.minThisPeriod, rtt);
    const shortest = Math.min(this.minThisPeriod, this.minLastPeriod);
    const queued = this.window * (1 - shortest / rtt);
    // ±1 per ACK: a window of W moves by up to W per round trip, so a long link opens up within a
    // few round trips and a congested cloud is relieved as fast.
    if (queued < this.opts.queuedLow) {
      if (unacked >= this.size()) this.window = Math.min(this.opts.max, this.window + 1);
    } else if (queued > this.opts.queuedHigh) this.window = Math.max(this.opts.min, this.window - 1);
  }

  /** A new connection: its delay is not known yet. */
  reset(): void {
    this.window = this.opts.initial;
    this.minThisPeriod = Infinity;
    this.minLastPeriod = Infinity;
    this.periodStart = undefined;
  }
}
