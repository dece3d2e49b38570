/**
 * One probe attempt of each kind against real servers and commands (edged's prober,
 * kubelet's pkg/probe/{http,tcp,exec}): success, failure, timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { SystemClock } from '@edgeproof/core';
import { runProbeAction, type ProbeAction } from '../src/edged/probe-actions.ts';

const clock = new SystemClock();

async function httpServer(t: { after: (fn: () => void) => void }) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/hang') return;
    res.statusCode = Number(req.url?.slice(1)) || 200;
    res.end('body');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  const get = (path: string, headers: [string, string][] = []): ProbeAction => ({
    type: 'httpGet',
    scheme: 'http',
    host: '127.0.0.1',
    port,
    path,
    headers,
  });
  return { seen, port, get };
}

test('httpGet: 200–399 succeeds, other codes fail with the code, headers are sent as kubelet sends them', async (t) => {
  const { seen, get } = await httpServer(t);
  assert.deepEqual(
    await runProbeAction(
      get('/204', [
        ['X-Probe', 'edge'],
        ['user-agent', 'mine'],
      ]),
      1000,
      clock,
    ),
    {
      ok: true,
      message: 'HTTP probe succeeded with statuscode: 204',
    },
  );
  assert.equal(seen[0]?.['x-probe'], 'edge');
  assert.equal(seen[0]?.['user-agent'], 'mine');
  assert.equal((await runProbeAction(get('/302'), 1000, clock)).ok, true);
  assert.deepEqual(await runProbeAction(get('/503'), 1000, clock), {
    ok: false,
    message: 'HTTP probe failed with statuscode: 503',
  });
  await runProbeAction(get('/200'), 1000, clock);
  assert.equal(seen.at(-1)?.['user-agent'], 'kube-probe/1.32');
  assert.equal(seen.at(-1)?.accept, '*/*');
});

test('httpGet: a server that does not answer in time fails with a timeout', async (t) => {
  const { get, port } = await httpServer(t);
  const started = Date.now();
  const outcome = await runProbeAction(get('/hang'), 300, clock);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.message, `Get "http://127.0.0.1:${port}/hang": timed out after 0.3s`);
  assert.ok(Date.now() - started < 1000);
});

test('tcpSocket: an open port succeeds, a closed one fails with the dial error', async (t) => {
  const server = createTcpServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  assert.equal((await runProbeAction({ type: 'tcpSocket', host: '127.0.0.1', port }, 1000, clock)).ok, true);
  server.close();
  const refused = await runProbeAction({ type: 'tcpSocket', host: '127.0.0.1', port }, 1000, clock);
  assert.equal(refused.ok, false);
  assert.match(refused.message, new RegExp(`^dial tcp 127.0.0.1:${port}: connect ECONNREFUSED`));
});

test('exec: exit 0 succeeds; otherwise the output is the message; a slow command is killed at the timeout', async () => {
  const exec = (command: string[]): ProbeAction => ({
    type: 'exec',
    command,
    env: { PATH: process.env['PATH'] ?? '', WHO: 'probe' },
    cwd: '/',
  });
  assert.equal((await runProbeAction(exec(['sh', '-c', 'test "$WHO" = probe']), 1000, clock)).ok, true);
  assert.deepEqual(await runProbeAction(exec(['sh', '-c', 'echo not healthy >&2; exit 1']), 1000, clock), {
    ok: false,
    message: 'not healthy',
  });
  const started = Date.now();
  const slow = await runProbeAction(exec(['sh', '-c', 'sleep 5']), 200, clock);
  assert.deepEqual(slow, { ok: false, message: 'command "sh -c sleep 5": timed out after 0.2s' });
  assert.ok(Date.now() - started < 1000);
  const missing = await runProbeAction(exec(['no-such-probe-binary']), 1000, clock);
  assert.equal(missing.ok, false);
  assert.match(missing.message, /ENOENT/);
});
