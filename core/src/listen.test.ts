// listenOn (listen.ts) on real sockets: the port bound, and each refusal in its wording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { EdgeproofError, ResourceBusyError } from './errors.ts';
import { listenOn } from './listen.ts';

const close = (server: Server): Promise<void> => new Promise((r) => server.close(() => r()));

test('port 0 resolves with the port the kernel chose, and the server accepts on it', async (t) => {
  const server = createServer((socket) => socket.end('hello'));
  t.after(() => close(server));
  const port = await listenOn(server, { port: 0, host: '127.0.0.1', who: 'test', whenInUse: '-' });
  assert.ok(port > 0);
  const address = server.address();
  assert.equal(typeof address === 'object' && address?.port, port);
  const client = connect(port, '127.0.0.1');
  const [greeting] = (await once(client, 'data')) as [Buffer];
  assert.equal(greeting.toString(), 'hello');
  client.destroy();
});

test('a port in use is a ResourceBusyError naming who, where and what to do', async (t) => {
  const holder = createServer();
  t.after(() => close(holder));
  const port = await listenOn(holder, { port: 0, host: '127.0.0.1', who: 'holder', whenInUse: '-' });
  const second = createServer();
  const refused = listenOn(second, {
    port,
    host: '127.0.0.1',
    who: 'the API server',
    whenInUse: 'stop what holds it or choose another port (--apiserver-port)',
  });
  await assert.rejects(refused, (err: unknown) => {
    assert.ok(err instanceof ResourceBusyError);
    assert.equal(err.code, 'EBUSY');
    assert.equal(
      err.message,
      `the API server cannot listen on 127.0.0.1:${port}: the port is in use; stop what holds it or choose another port (--apiserver-port)`,
    );
    return true;
  });
  assert.equal(second.listening, false);
  // The refused server is not left half-bound: the same object listens once the port is free.
  await close(holder);
  assert.equal(await listenOn(second, { port, host: '127.0.0.1', who: 'again', whenInUse: '-' }), port);
  await close(second);
});

test('every interface is written as :port, as Go writes it', async (t) => {
  const holder = createServer();
  t.after(() => close(holder));
  const port = await listenOn(holder, { port: 0, who: 'holder', whenInUse: '-' });
  await assert.rejects(
    listenOn(createServer(), { port, who: 'cloudhub', whenInUse: 'stop it' }),
    new RegExp(`cloudhub cannot listen on :${port}: the port is in use; stop it$`),
  );
});

test("an address that is not this machine's is ELISTEN with the system's reason", async () => {
  // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a host.
  await assert.rejects(
    listenOn(createServer(), { port: 0, host: '192.0.2.1', who: 'MetaServer', whenInUse: '-' }),
    (err: unknown) => {
      assert.ok(err instanceof EdgeproofError);
      assert.equal(err.code, 'ELISTEN');
      assert.match(err.message, /^MetaServer cannot listen on 192\.0\.2\.1:0: .*EADDRNOTAVAIL/);
      return true;
    },
  );
});
