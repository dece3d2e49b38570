// Guards: `edgeproof chaos proxy` is a Toxiproxy a user can run: a real process that serves the
// Toxiproxy API, populates proxies from a toxiproxy-server -config file, proxies real traffic,
// stops cleanly on SIGINT and SIGTERM, and rejects bad flags and files with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TIMER_EARLY_MS, exitOf, freePort, run, start } from './support/cli.ts';

function apiUrl(output: string): string {
  const m = /edgeproof chaos: toxiproxy API on (http:\/\/\S+)/.exec(output);
  assert.ok(m?.[1], `no API line in:\n${output}`);
  return m[1];
}

test('chaos --help shows the command and its flags', async () => {
  const help = await run(['chaos', '--help']);
  assert.equal(help.code, 0);
  assert.match(
    help.stdout,
    /Usage: edgeproof chaos proxy \[--port 8474\] \[--host 127\.0\.0\.1\] \[--config FILE\]/,
  );
  for (const flag of ['--port P', '--host ADDR', '--config FILE'])
    assert.ok(help.stdout.includes(flag), flag);
});

test('chaos proxy serves the Toxiproxy API, proxies traffic with toxics, and stops on SIGINT', async () => {
  const echo = createServer((s) => s.on('data', (d: Buffer) => s.write(d)));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const echoPort = (echo.address() as AddressInfo).port;
  const proxy = await start(['chaos', 'proxy', '--port', '0']);
  try {
    const url = apiUrl(proxy.output());
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(proxy.output(), /edgeproof chaos: ready/);
    const version = (await (await fetch(`${url}/version`)).json()) as { version: string };
    assert.match(version.version, /^2\./);
    const created = await fetch(`${url}/proxies`, {
      method: 'POST',
      body: JSON.stringify({ name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` }),
    });
    assert.equal(created.status, 201);
    const { listen } = (await created.json()) as { listen: string };
    await fetch(`${url}/proxies/echo/toxics`, {
      method: 'POST',
      body: JSON.stringify({ type: 'latency', attributes: { latency: 100 } }),
    });
    const port = Number(listen.split(':').at(-1));
    const rtt = await new Promise<number>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        const t0 = performance.now();
        s.write('hi');
        s.once('data', () => {
          s.destroy();
          resolve(performance.now() - t0);
        });
      });
      s.on('error', reject);
    });
    assert.ok(rtt >= 100 - TIMER_EARLY_MS, `round trip ${rtt} ms through a 100 ms latency toxic`);

    proxy.child.kill('SIGINT');
    assert.equal(await exitOf(proxy.child), 0);
    assert.match(proxy.output(), /edgeproof: stopped/);
    await assert.rejects(fetch(`${url}/version`), 'the API is gone');
  } finally {
    proxy.child.kill('SIGKILL');
    echo.close();
  }
});

test('chaos proxy --config creates the proxies of a toxiproxy-server config file; SIGTERM stops it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-chaos-'));
  const config = join(dir, 'toxiproxy.json');
  const apiPort = await freePort();
  writeFileSync(
    config,
    JSON.stringify([
      { name: 'cloudhub', listen: '127.0.0.1:0', upstream: '127.0.0.1:10000' },
      { name: 'modbus', listen: '127.0.0.1:0', upstream: '127.0.0.1:502', enabled: false },
    ]),
  );
  const proxy = await start(['chaos', 'proxy', '--port', String(apiPort), '--config', config]);
  try {
    assert.equal(apiUrl(proxy.output()), `http://127.0.0.1:${apiPort}`);
    assert.match(proxy.output(), /proxy cloudhub listening on 127\.0\.0\.1:\d+ → 127\.0\.0\.1:10000/);
    assert.match(proxy.output(), /proxy modbus \(disabled\) → 127\.0\.0\.1:502/);
    const proxies = (await (await fetch(`http://127.0.0.1:${apiPort}/proxies`)).json()) as Record<
      string,
      { enabled: boolean }
    >;
    assert.deepEqual(Object.keys(proxies), ['cloudhub', 'modbus']);
    assert.equal(proxies.modbus?.enabled, false);
    proxy.child.kill('SIGTERM');
    assert.equal(await exitOf(proxy.child), 0);
  } finally {
    proxy.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad flags, subcommands and config files exit 2 with a clear message; a busy port exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-chaos-'));
  try {
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{ nope');
    const noUpstream = join(dir, 'incomplete.json');
    writeFileSync(noUpstream, JSON.stringify([{ name: 'a', listen: '127.0.0.1:0' }]));
    const object = join(dir, 'object.json');
    writeFileSync(object, JSON.stringify({ name: 'a' }));
    const cases: [string[], RegExp][] = [
      [['chaos'], /chaos needs a subcommand: edgeproof chaos proxy/],
      [['chaos', 'prox'], /unknown chaos subcommand "prox"/],
      [['chaos', 'proxy', '--port', 'http'], /--port must be a whole number, not "http"/],
      [['chaos', 'proxy', '--port', '70000'], /--port must be between 0 and 65535/],
      [['chaos', 'proxy', '--bogus'], /unknown flag --bogus/],
      [['chaos', 'proxy', '--config', join(dir, 'missing.json')], /--config .*missing\.json: cannot read it/],
      [['chaos', 'proxy', '--config', notJson], /--config .*bad\.json is not JSON/],
      [
        ['chaos', 'proxy', '--config', noUpstream],
        /--config .*incomplete\.json: missing required field: upstream at proxy 1/,
      ],
      [['chaos', 'proxy', '--config', object], /must be a JSON array of proxies/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    cases.forEach(([args, message], i) => {
      const r = results[i];
      assert.equal(r?.code, 2, `${args.join(' ')}: ${r?.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    });

    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    try {
      const busy = await run(['chaos', 'proxy', '--port', String((holder.address() as AddressInfo).port)]);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /is in use \(is a Toxiproxy already running\?/);
    } finally {
      holder.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
