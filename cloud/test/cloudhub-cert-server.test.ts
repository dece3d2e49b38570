// Cloudhub's :10002 certificate server against a real embedded API server, driven by a client that
// does what KubeEdge's edgecore does on `keadm join --token` (edge/pkg/edgehub/certificate/certmanager.go):
// GET /ca.crt without verification, check its sha256 against the token, make a P-256 key and a CSR
// with openssl, GET /edge.crt with the CSR DER as the body of the GET and the JWT as bearer token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { FakeClock, StorageError, createLogger, silentLogger } from '@edgeproof/core';
import { CertServer } from '../src/cloudhub/cert-server.ts';
import { CloudSecrets, KUBEEDGE_NAMESPACE, TOKEN_REFRESH_MS } from '../src/cloudhub/cloud-secrets.ts';
import { createToken, splitToken } from '../src/cloudhub/token.ts';
import { createCertificateAuthority, issueCertificate, parseCertificate } from '../src/pki/pki.ts';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

const run = promisify(execFile);
const logger = process.env.EDGEPROOF_TEST_LOG ? createLogger('test', { level: 'debug' }) : silentLogger();
const HOST = '127.0.0.1';

let f: Fixture;
let kc: KubeConfig;
let api: CoreV1Api;
let clock: FakeClock;
let secrets: CloudSecrets;
let server: CertServer;
let work: string;

before(async () => {
  f = await startApiServer();
  kc = new KubeConfig();
  kc.loadFromFile(f.kubeconfig);
  api = kc.makeApiClient(CoreV1Api);
  work = mkdtempSync(join(tmpdir(), 'edgeproof-cloudhub-'));
  // The fake clock starts at the real time: OpenSSL checks client certificate dates on real time.
  clock = new FakeClock(Date.now());
  secrets = new CloudSecrets({ kubeConfig: kc, advertiseAddresses: [HOST, 'localhost'], clock, logger });
  await secrets.start();
  server = new CertServer({ credentials: secrets, kubeConfig: kc, clock, logger, port: 0, host: HOST });
  await server.start();
});

after(async () => {
  await server.stop();
  await secrets.stop();
  await f.stop();
  rmSync(work, { recursive: true, force: true });
});

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

type Call = {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body chunked, without Content-Length. */
  chunked?: boolean;
  /** PEM CA to verify the server with; omitted = no verification (what the edge does for /ca.crt). */
  ca?: string;
  cert?: Buffer | string;
  key?: string;
};

function call(c: Call): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: HOST,
        port: server.port(),
        path: c.path,
        method: c.method ?? 'GET',
        headers: {
          ...c.headers,
          // Node does not chunk a GET body by default: say so, or send its length.
          ...(c.body === undefined
            ? {}
            : c.chunked === true
              ? { 'Transfer-Encoding': 'chunked' }
              : { 'Content-Length': String(Buffer.byteLength(c.body)) }),
        },
        ca: c.ca,
        rejectUnauthorized: c.ca !== undefined,
        cert: c.cert,
        key: c.key,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(c.body);
  });
}

function pem(der: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;
}

let seq = 0;
/** A P-256 key and a DER CSR made by openssl, with the subject KubeEdge's edge uses. */
async function makeCsr(commonName: string): Promise<{ keyPem: string; csrDer: Buffer }> {
  const base = join(work, `k${++seq}`);
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${base}.key`]);
  await run('openssl', [
    'req',
    '-new',
    '-key',
    `${base}.key`,
    '-subj',
    `/C=CN/ST=Zhejiang/L=Hangzhou/O=system:nodes/CN=${commonName}`,
    '-outform',
    'DER',
    '-out',
    `${base}.csr`,
  ]);
  return { keyPem: readFileSync(`${base}.key`, 'utf8'), csrDer: readFileSync(`${base}.csr`) };
}

/** KubeEdge's edge: fetch and pin the CA by the token's hash, then ask for a certificate with the JWT. */
async function bootstrap(
  token: string,
  nodeName: string,
): Promise<{ reply: Reply; caPem: string; keyPem: string }> {
  const { caHash, jwt } = splitToken(token);
  const ca = await call({ path: '/ca.crt' });
  assert.equal(ca.status, 200);
  assert.equal(ca.headers['content-type'], 'application/octet-stream');
  assert.equal(createHash('sha256').update(ca.body).digest('hex'), caHash, 'the CA matches the token');
  const caPem = pem(ca.body, 'CERTIFICATE');
  const { keyPem, csrDer } = await makeCsr(`system:node:${nodeName}`);
  const reply = await call({
    path: '/edge.crt',
    headers: { Authorization: `Bearer ${jwt}`, NodeName: nodeName },
    body: csrDer,
    ca: caPem, // from here on the edge verifies cloudcore's certificate against the pinned CA
  });
  return { reply, caPem, keyPem };
}

async function opensslVerify(caPem: string, certDer: Buffer): Promise<string> {
  const caFile = join(work, `ca${++seq}.pem`);
  const certFile = join(work, `cert${seq}.pem`);
  writeFileSync(caFile, caPem);
  writeFileSync(certFile, pem(certDer, 'CERTIFICATE'));
  const { stdout } = await run('openssl', ['verify', '-CAfile', caFile, '-purpose', 'sslclient', certFile]);
  return stdout;
}

function text(reply: Reply): string {
  return reply.body.toString('utf8');
}

test('an edge bootstraps with the token and gets a node certificate chained to the CA', async () => {
  const { reply, caPem } = await bootstrap(secrets.token(), 'edge-1');
  assert.equal(reply.status, 200, text(reply));
  assert.equal(reply.headers['content-type'], 'application/octet-stream');
  assert.match(await opensslVerify(caPem, reply.body), /: OK/);
  const info = parseCertificate(reply.body);
  assert.equal(info.commonName, 'system:node:edge-1');
  assert.deepEqual(info.organization, ['system:nodes']);
  assert.deepEqual(info.usages, ['client']);
  const days = (info.notAfter.getTime() - clock.now()) / 86_400_000;
  assert.ok(days > 364.9 && days <= 365, `valid 365 days, got ${days}`);
});

test("the CSR's subject is not trusted: the certificate is for the NodeName", async () => {
  const { jwt } = splitToken(secrets.token());
  const { csrDer } = await makeCsr('system:node:someone-else');
  const reply = await call({
    path: '/edge.crt',
    headers: { Authorization: `Bearer ${jwt}`, NodeName: 'edge-3' },
    body: csrDer,
  });
  assert.equal(reply.status, 200, text(reply));
  assert.equal(parseCertificate(reply.body).commonName, 'system:node:edge-3');
});

test('ExtKeyUsages chooses the usages, as Go x509.ExtKeyUsage ints', async () => {
  const { jwt } = splitToken(secrets.token());
  const { csrDer } = await makeCsr('system:node:edge-4');
  const headers = { Authorization: `Bearer ${jwt}`, NodeName: 'edge-4' };
  const both = await call({
    path: '/edge.crt',
    headers: { ...headers, ExtKeyUsages: '[1,2]' },
    body: csrDer,
  });
  assert.equal(both.status, 200, text(both));
  assert.deepEqual(parseCertificate(both.body).usages.sort(), ['client', 'server']);
  const odd = await call({ path: '/edge.crt', headers: { ...headers, ExtKeyUsages: '[9]' }, body: csrDer });
  assert.equal(odd.status, 400);
  assert.match(text(odd), /ExtKeyUsages/);
});

test('the CA, cloudcore and token secrets are in namespace kubeedge, encoded as KubeEdge encodes them', async () => {
  const read = (name: string) => api.readNamespacedSecret({ name, namespace: KUBEEDGE_NAMESPACE });
  const data = (s: { data?: Record<string, string> }, key: string): Buffer =>
    Buffer.from(s.data?.[key] ?? '', 'base64');
  const ca = await read('casecret');
  assert.equal(ca.type, 'Opaque');
  assert.deepEqual(data(ca, 'cadata'), secrets.ca().certDer);
  assert.deepEqual(data(ca, 'cakeydata'), secrets.ca().keyDer);
  // SEC 1 DER, what Go's x509.MarshalECPrivateKey writes.
  assert.equal(
    createPrivateKey({ key: data(ca, 'cakeydata'), format: 'der', type: 'sec1' }).asymmetricKeyType,
    'ec',
  );
  assert.ok(parseCertificate(data(ca, 'cadata')).isCa);

  const cc = await read('cloudcoresecret');
  const serving = parseCertificate(data(cc, 'cloudcoredata'));
  assert.deepEqual(serving.ipAddresses, [HOST]);
  assert.deepEqual(serving.dnsNames, ['localhost']);
  assert.deepEqual(serving.usages, ['server']);
  createPrivateKey({ key: data(cc, 'cloudcorekeydata'), format: 'der', type: 'sec1' });

  const token = await read('tokensecret');
  assert.equal(data(token, 'tokendata').toString('utf8'), secrets.token());
});

test('the secrets survive a restart: same CA, same serving certificate; a new address re-issues only the latter', async () => {
  const again = new CloudSecrets({ kubeConfig: kc, advertiseAddresses: [HOST, 'localhost'], clock, logger });
  await again.start();
  try {
    assert.deepEqual(again.ca().certDer, secrets.ca().certDer);
    assert.deepEqual(again.ca().keyDer, secrets.ca().keyDer);
    assert.deepEqual(again.servingCertificate().certDer, secrets.servingCertificate().certDer);
    // Tokens made before the restart still verify: they are keyed with the same CA key.
    const { reply } = await bootstrap(secrets.token(), 'edge-5');
    assert.equal(reply.status, 200, text(reply));
  } finally {
    await again.stop();
  }

  const moved = new CloudSecrets({
    kubeConfig: kc,
    advertiseAddresses: [HOST, 'localhost', '10.1.2.3'],
    clock,
    logger,
  });
  await moved.start();
  try {
    assert.deepEqual(moved.ca().certDer, secrets.ca().certDer);
    const info = parseCertificate(moved.servingCertificate().certDer);
    assert.deepEqual(info.ipAddresses.sort(), ['10.1.2.3', HOST]);
  } finally {
    await moved.stop();
  }
});

test('a token from another CA, a garbled token or none at all is refused with 401', async () => {
  const otherCa = await createCertificateAuthority({ commonName: 'other', clock, validityDays: 30 });
  const otherKey = createPrivateKey(otherCa.keyPem).export({ type: 'sec1', format: 'der' });
  const foreign = await createToken({ caCertDer: otherCa.certDer, caKeyDer: otherKey, clock });
  const { csrDer } = await makeCsr('system:node:edge-6');
  for (const authorization of [
    `Bearer ${splitToken(foreign).jwt}`,
    `Bearer ${foreign}`,
    'Bearer x.y.z',
    'Basic abc',
  ]) {
    const reply = await call({
      path: '/edge.crt',
      headers: { Authorization: authorization, NodeName: 'edge-6' },
      body: csrDer,
    });
    assert.equal(reply.status, 401, authorization);
    assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8');
  }
  const wrongKey = await call({
    path: '/edge.crt',
    headers: { Authorization: `Bearer ${splitToken(foreign).jwt}`, NodeName: 'edge-6' },
    body: csrDer,
  });
  assert.match(text(wrongKey), /signature invalid/);
  const none = await call({ path: '/edge.crt', headers: { NodeName: 'edge-6' }, body: csrDer });
  assert.equal(none.status, 401);
  assert.match(text(none), /Authorization header missing/);
});

test('a bad request is 400 or 413 with the reason: garbage CSR, no CSR, no NodeName, too large', async () => {
  const { jwt } = splitToken(secrets.token());
  const auth = { Authorization: `Bearer ${jwt}`, NodeName: 'edge-7' };
  const garbage = await call({ path: '/edge.crt', headers: auth, body: Buffer.from('this is not a CSR') });
  assert.equal(garbage.status, 400);
  assert.match(text(garbage), /^CSR invalid: /);

  // A CSR whose signature does not match its content.
  const { csrDer } = await makeCsr('system:node:edge-7');
  const tampered = Buffer.from(csrDer);
  tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0xff;
  const badSig = await call({ path: '/edge.crt', headers: auth, body: tampered });
  assert.equal(badSig.status, 400);
  assert.match(text(badSig), /CSR invalid/);

  const empty = await call({ path: '/edge.crt', headers: auth });
  assert.equal(empty.status, 400);
  assert.match(text(empty), /CSR missing/);

  const noName = await call({ path: '/edge.crt', headers: { Authorization: `Bearer ${jwt}` }, body: csrDer });
  assert.equal(noName.status, 400);
  assert.match(text(noName), /NodeName header missing/);

  const badName = await call({ path: '/edge.crt', headers: { ...auth, NodeName: 'Edge_7' }, body: csrDer });
  assert.equal(badName.status, 400);

  const huge = await call({ path: '/edge.crt', headers: auth, body: Buffer.alloc(65 * 1024, 1) });
  assert.equal(huge.status, 413);
  assert.match(text(huge), /too large/);
  // The same without Content-Length: counted while streaming.
  const hugeChunked = await call({
    path: '/edge.crt',
    headers: auth,
    body: Buffer.alloc(200 * 1024, 1),
    chunked: true,
  });
  assert.equal(hugeChunked.status, 413);
  // A chunked CSR of normal size is fine.
  const chunked = await call({ path: '/edge.crt', headers: auth, body: csrDer, chunked: true });
  assert.equal(chunked.status, 200, text(chunked));
});

test('rotation: the node certificate alone renews it; another NodeName or another CA is refused', async () => {
  const first = await bootstrap(secrets.token(), 'edge-8');
  assert.equal(first.reply.status, 200, text(first.reply));
  const clientCert = pem(first.reply.body, 'CERTIFICATE');
  const { csrDer } = await makeCsr('system:node:edge-8');

  const renewed = await call({
    path: '/edge.crt',
    headers: { NodeName: 'edge-8' }, // no token: the certificate is the credential
    body: csrDer,
    ca: first.caPem,
    cert: clientCert,
    key: first.keyPem,
  });
  assert.equal(renewed.status, 200, text(renewed));
  const info = parseCertificate(renewed.body);
  assert.equal(info.commonName, 'system:node:edge-8');
  assert.notDeepEqual(info.publicKeyDer, parseCertificate(first.reply.body).publicKeyDer);
  assert.match(await opensslVerify(first.caPem, renewed.body), /: OK/);

  const stolen = await call({
    path: '/edge.crt',
    headers: { NodeName: 'edge-9' },
    body: csrDer,
    ca: first.caPem,
    cert: clientCert,
    key: first.keyPem,
  });
  assert.equal(stolen.status, 401);
  assert.match(text(stolen), /may only renew its own certificate/);

  // A certificate from another CA is refused even with a valid token beside it (KubeEdge does the same).
  const otherCa = await createCertificateAuthority({ commonName: 'other', clock, validityDays: 30 });
  const foreign = await issueCertificate({
    ca: otherCa,
    commonName: 'system:node:edge-8',
    organization: 'system:nodes',
    usages: ['client'],
    validityDays: 30,
    clock,
  });
  const outsider = await call({
    path: '/edge.crt',
    headers: { NodeName: 'edge-8', Authorization: `Bearer ${splitToken(secrets.token()).jwt}` },
    body: csrDer,
    ca: first.caPem,
    cert: foreign.certPem,
    key: foreign.keyPem ?? '',
  });
  assert.equal(outsider.status, 401);
  assert.match(text(outsider), /client certificate rejected/);
});

test('GET /node/{name} is 404 until the Node exists, then 200', async () => {
  const before = await call({ path: '/node/edge-node-check' });
  assert.equal(before.status, 404);
  assert.match(text(before), /Node not found/);
  await api.createNode({ body: { metadata: { name: 'edge-node-check' } } });
  const afterCreate = await call({ path: '/node/edge-node-check' });
  assert.equal(afterCreate.status, 200);
  assert.match(text(afterCreate), /Node found/);
  assert.equal((await call({ path: '/node/Not_A_Name' })).status, 400);
});

test('unknown paths are 404 and other methods 405', async () => {
  const unknown = await call({ path: '/nodeupgrade', method: 'POST', body: '{}' });
  assert.equal(unknown.status, 404);
  assert.match(text(unknown), /no route/);
  const post = await call({ path: '/ca.crt', method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET');
});

test('garbage on the socket does not take the server down', async () => {
  const port = server.port();
  // Plain bytes where a TLS ClientHello should be.
  await new Promise<void>((resolve) => {
    const s = netConnect(port, HOST, () => s.end(Buffer.from('GET / HTTP/1.1\r\n\r\n\x00\xff\xfe garbage')));
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.resume();
  });
  // A good TLS handshake followed by bytes that are not HTTP.
  const reply = await new Promise<string>((resolve, reject) => {
    const s = tlsConnect({ port, host: HOST, rejectUnauthorized: false }, () =>
      s.write('\x16\x03 not http at all\r\n\r\n'),
    );
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400/);
  // A request cut off in the middle of its body.
  await new Promise<void>((resolve) => {
    const s = tlsConnect({ port, host: HOST, rejectUnauthorized: false }, () => {
      s.write(
        'GET /edge.crt HTTP/1.1\r\nHost: x\r\nNodeName: edge-1\r\nAuthorization: Bearer a.b.c\r\nContent-Length: 500\r\n\r\nabc',
      );
      s.destroy();
      resolve();
    });
    s.on('error', () => resolve());
  });
  // A body far past the limit: answered 413 or cut off, never buffered.
  const { jwt } = splitToken(secrets.token());
  await call({
    path: '/edge.crt',
    headers: { Authorization: `Bearer ${jwt}`, NodeName: 'edge-1' },
    body: Buffer.alloc(3 * 1024 * 1024, 7),
    chunked: true,
  }).then(
    (r) => assert.equal(r.status, 413),
    (err: NodeJS.ErrnoException) => assert.match(err.code ?? '', /ECONNRESET|EPIPE/),
  );
  const ca = await call({ path: '/ca.crt' });
  assert.equal(ca.status, 200);
  assert.deepEqual(ca.body, secrets.ca().certDer);
});

test('secret data cloudcore cannot parse is a clear error naming the secret and key', async () => {
  const namespace = 'kubeedge-broken';
  await api.createNamespace({ body: { metadata: { name: namespace } } });
  await api.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'casecret' },
      type: 'Opaque',
      data: { cadata: Buffer.from('not a certificate').toString('base64'), cakeydata: 'AAAA' },
    },
  });
  const broken = new CloudSecrets({ kubeConfig: kc, advertiseAddresses: [HOST], clock, logger, namespace });
  await assert.rejects(broken.start(), (err: unknown) => {
    assert.ok(err instanceof StorageError);
    assert.match(err.message, /secret kubeedge-broken\/casecret key cadata is not a DER X\.509 certificate/);
    return true;
  });
});

test('the token is refreshed every 12 h; a token past its 24 h lifetime is refused with 401', async () => {
  const old = secrets.token();
  clock.advance(TOKEN_REFRESH_MS);
  await secrets.whenIdle();
  const fresh = secrets.token();
  assert.notEqual(fresh, old);
  const stored = await api.readNamespacedSecret({ name: 'tokensecret', namespace: KUBEEDGE_NAMESPACE });
  assert.equal(Buffer.from(stored.data?.tokendata ?? '', 'base64').toString(), fresh);
  // 12 h old: still valid.
  assert.equal((await bootstrap(old, 'edge-10')).reply.status, 200);

  clock.advance(TOKEN_REFRESH_MS);
  await secrets.whenIdle();
  const expired = await bootstrap(old, 'edge-10');
  assert.equal(expired.reply.status, 401);
  assert.match(text(expired.reply), /token expired at .*run 'edgeproof token' on the cloud for a new one/);
  assert.equal((await bootstrap(fresh, 'edge-10')).reply.status, 200);
});
