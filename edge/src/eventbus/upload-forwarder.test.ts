import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FakeClock, silentLogger } from '@edgeproof/core';
import { UpstreamQueue } from '../metamanager/upstream-queue.ts';
import { MemoryCloudLink, sequentialIds, tempDir } from '../devicetwin/test-kit.ts';
import { UploadForwarder } from './upload-forwarder.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

function setup(
  t: { after: (fn: () => void) => void },
  opts: { maxQueued?: number; batchSize?: number } = {},
) {
  const path = join(tempDir(t, 'uploads-'), 'uploads.db');
  const clock = new FakeClock();
  const cloud = new MemoryCloudLink(false);
  const ids = sequentialIds('u-');
  const open = () => {
    const queue = UpstreamQueue.open(path);
    t.after(() => queue.close());
    const fwd = new UploadForwarder({
      queue,
      cloud,
      clock,
      logger: silentLogger(),
      newId: ids,
      retryMs: 1000,
      ...opts,
    });
    fwd.start();
    return { queue, fwd };
  };
  return { clock, cloud, open };
}

test('uploads made while the cloud is away are kept in SQLite and delivered in order after reconnect', (t) => {
  const { clock, cloud, open } = setup(t);
  const first = open();
  first.fwd.upload('$hw/events/upload/line-1', bytes('{"t":1}'));
  clock.advance(5);
  first.fwd.upload('app/user/readings', bytes('raw text'));
  assert.equal(cloud.sent.length, 0);
  first.fwd.stop();
  first.queue.close();

  const second = open();
  assert.equal(second.fwd.pending(), 2);
  cloud.up = true;
  second.fwd.cloudConnectionChanged(true);
  assert.deepEqual(
    cloud.sent.map((m) => [m.header.msg_id, m.route, m.content]),
    [
      [
        'u-1',
        { source: 'bus', group: 'user', operation: 'upload', resource: '$hw/events/upload/line-1' },
        '{"t":1}',
      ],
      [
        'u-2',
        { source: 'bus', group: 'user', operation: 'upload', resource: 'app/user/readings' },
        'raw text',
      ],
    ],
  );
  // The original timestamps travel, not the time of the resend.
  assert.equal((cloud.sent[1]?.header.timestamp ?? 0) - (cloud.sent[0]?.header.timestamp ?? 0), 5);
  assert.equal(second.fwd.pending(), 0);
});

test('a big backlog goes in batches, and a refused send is retried later', (t) => {
  const { clock, cloud, open } = setup(t, { batchSize: 2 });
  const { fwd } = open();
  for (let i = 0; i < 5; i++) fwd.upload(`SYS/dis/upload_records`, bytes(String(i)));
  cloud.up = true;
  // EdgeHub's queue fills after the third message.
  cloud.onSend = () => (cloud.refuse = cloud.sent.length >= 3);
  fwd.cloudConnectionChanged(true);
  assert.equal(cloud.sent.length, 2, 'one batch per turn');
  clock.advance(0);
  assert.equal(cloud.sent.length, 3);
  assert.equal(fwd.pending(), 2);
  cloud.onSend = undefined;
  cloud.refuse = false;
  clock.advance(999);
  assert.equal(cloud.sent.length, 3, 'waits for the retry');
  clock.advance(1);
  assert.deepEqual(
    cloud.sent.map((m) => m.content),
    ['0', '1', '2', '3', '4'],
  );
  assert.equal(fwd.pending(), 0);
});

test('past its bound the backlog drops the oldest uploads', (t) => {
  const { cloud, open } = setup(t, { maxQueued: 10 });
  const { fwd } = open();
  for (let i = 0; i < 11; i++) fwd.upload('a/user/x', bytes(String(i)));
  assert.equal(fwd.pending(), 10);
  cloud.up = true;
  fwd.cloudConnectionChanged(true);
  assert.equal(cloud.sent[0]?.content, '1');
});
