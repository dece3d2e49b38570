/**
 * Test helpers for DeviceTwin and EventBus (not exported from the package): an in-memory
 * CloudLink standing in for EdgeHub, a publisher that records, and temporary files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResourceBusyError, type Message } from '@edgeproof/core';
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
