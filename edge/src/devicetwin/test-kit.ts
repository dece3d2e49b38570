/**
 * Test helpers for DeviceTwin and EventBus (not exported from the package): an in-memory
 * CloudLink standing in for EdgeHub, a publisher that records, and temporary files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import {
  FakeClock,
  ResourceBusyError,
  messageBuilder,
  parseTwinTopic,
  silentLogger,
  type Message,
} from '@edgeproof/core';
import { UpstreamQueue } from '../metamanager/upstream-queue.ts';
import { DeviceStore } from './device-store.ts';
import { DeviceTwin, type DeviceTwinOptions } from './device-twin.ts';
import { ReportOutbox, type ReportOutboxOptions } from './report-outbox.ts';
import type { CloudLink } from '../eventbus/cloud-link.ts';
import type { TwinPublisher } from '../eventbus/eventbus.ts';
import type { PublishOptions } from '../eventbus/hub-client.ts';

/** A CloudLink whose state the test sets; what it is sent is kept in `sent`. */
export class MemoryCloudLink implements CloudLink {
  readonly sent: Message[] = [];
  up: boolean;
  /** When set, `send` throws (EdgeHub's queue full). */
  refuse = false;
  /** Called after each accepted send. */
  onSend: ((m: Message) => void) | undefined;

  constructor(up = false) {
    this.up = up;
  }

  send(message: Message): void {
    if (this.refuse) throw new ResourceBusyError('test link refuses');
    // A copy, as the wire would make: later changes by the sender must not show here.
    this.sent.push(JSON.parse(JSON.stringify(message)) as Message);
    this.onSend?.(message);
  }

  connected(): boolean {
    return this.up;
  }

  /** Sent messages with this resource suffix. */
  withResource(suffix: string): Message[] {
    return this.sent.filter((m) => (m.route.resource ?? '').endsWith(suffix));
  }
}

/** A TwinPublisher that records what it is asked to publish, payloads parsed. */
export class RecordingPublisher implements TwinPublisher {
  readonly published: Array<{ topic: string; payload: Record<string, unknown>; options?: PublishOptions }> =
    [];

  publish(topic: string, payload: string, options?: PublishOptions): void {
    this.published.push({
      topic,
      payload: JSON.parse(payload) as Record<string, unknown>,
      ...(options ? { options } : {}),
    });
  }

  on(topicSuffix: string): Array<Record<string, unknown>> {
    return this.published.filter((p) => p.topic.endsWith(topicSuffix)).map((p) => p.payload);
  }

  last(topicSuffix: string): Record<string, unknown> | undefined {
    return this.on(topicSuffix).at(-1);
  }

  clear(): void {
    this.published.length = 0;
  }
}

/** A temporary directory removed after the test. */
export function tempDir(t: { after: (fn: () => void) => void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A counter-based id source, so tests can name message ids. */
export function sequentialIds(prefix = 'id-'): () => string {
  let n = 0;
  return () => `${prefix}${++n}`;
}

/**
 * A DeviceTwin over real SQLite files in a temporary folder, on a FakeClock, with an in-memory cloud
 * link and a recording publisher. `open()` (again after a close, for restarts) builds the store,
 * the report queue, the outbox and the twin, with the caller's extra options.
 */
export function twinHarness(t: { after: (fn: () => void) => void }, prefix: string, up = true) {
  const dir = tempDir(t, prefix);
  const clock = new FakeClock();
  const cloud = new MemoryCloudLink(up);
  const mqtt = new RecordingPublisher();
  const cloudMsgs = messageBuilder({ clock, newId: sequentialIds('c-') });
  const open = (
    extra: {
      outbox?: Partial<ReportOutboxOptions>;
      twin?: Partial<DeviceTwinOptions>;
      /** Stop the twin when the test ends (default); false when the test stops it itself. */
      stopAfterTest?: boolean;
    } = {},
  ) => {
    const store = DeviceStore.open(join(dir, 'edgecore.db'));
    const queue = UpstreamQueue.open(join(dir, 'reports.db'));
    t.after(() => {
      store.close();
      queue.close();
    });
    const outbox = new ReportOutbox({
      queue,
      cloud,
      clock,
      logger: silentLogger(),
      newId: sequentialIds('r-'),
      ...extra.outbox,
    });
    const twin = new DeviceTwin({
      nodeName: 'edge-1',
      store,
      outbox,
      mqtt,
      cloud,
      clock,
      logger: silentLogger(),
      newId: sequentialIds('t-'),
      ...extra.twin,
    });
    twin.start();
    if (extra.stopAfterTest !== false) t.after(() => twin.stop());
    return { twin, store, queue, outbox };
  };
  /** A mapper publishing on a device topic. */
  const mapper = (twin: DeviceTwin, topic: string, payload: unknown): void => {
    const parsed = parseTwinTopic(topic);
    assert.ok(parsed);
    twin.handleTwinTopic(
      parsed,
      Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    );
  };
  return { dir, clock, cloud, mqtt, cloudMsgs, open, mapper };
}
