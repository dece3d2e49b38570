import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { isSameProcess, processStartTicks, sendSignal } from './proc.ts';

test('a live process has a start time; a reused pid with another start time is not the same process', async () => {
  const ticks = await processStartTicks(process.pid);
  assert.ok(typeof ticks === 'number' && ticks > 0);
  assert.equal(await isSameProcess(process.pid, ticks), true);
  assert.equal(await isSameProcess(process.pid, ticks + 1), false);
});

test('a process that is gone has no start time and can be signalled without error', async () => {
  const done = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const pid = Number(done.stdout.trim());
  assert.equal(await processStartTicks(pid), undefined);
  sendSignal(pid, 'SIGTERM');
  sendSignal(pid, 'SIGKILL', true);
});

test('pid 0 and 1 are never signalled (kill(2) would take them as a group or everything)', () => {
  assert.throws(() => sendSignal(0, 'SIGKILL', true), /refusing to signal pid 0/);
  assert.throws(() => sendSignal(1, 'SIGTERM'), /refusing to signal pid 1/);
});
