import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { FakeClock, InvalidInputError, StorageError } from '@edgeproof/core';
import {
  createCertificateAuthority,
  issueCertificate,
  loadOrCreateServingPki,
  parseCertificate,
  readCertificateRequest,
} from './pki.ts';

const run = promisify(execFile);
const DAY = 86_400_000;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeproof-pki-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** GET https://<host>:<port>/ trusting `ca`; resolves with the body or rejects with the TLS error. */
function get(port: number, ca: string, host: string, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', ca, ...(servername ? { servername } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serving PKI against real TLS clients', () => {
  test('Node https trusts the serving cert for 127.0.0.1 and localhost, and refuses other names and CAs', async () => {
    const pki = await loadOrCreateServingPki(join(dir, 'tls'), { clock: new FakeClock(Date.now()) });
    const server = createServer({ cert: pki.certPem, key: pki.keyPem }, (_req, res) => res.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      assert.equal(await get(port, pki.caCertPem, '127.0.0.1'), 'hello');
      assert.equal(await get(port, pki.caCertPem, '127.0.0.1', 'localhost'), 'hello');
      await assert.rejects(get(port, pki.caCertPem, '127.0.0.1', 'evil.example'), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
      const other = await createCertificateAuthority({
        commonName: 'unrelated',
        clock: new FakeClock(Date.now()),
        validityDays: 30,
      });
      await assert.rejects(get(port, other.certPem, '127.0.0.1'), {
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
    } finally {
      server.close();
    }
  });

  test('openssl verify accepts the serving cert for sslserver, with the expected extensions', async () => {
    const d = join(dir, 'openssl');
    await loadOrCreateServingPki(d, {
      clock: new FakeClock(Date.now()),
      hosts: ['edge.example.com', '10.1.2.3'],
    });
    const { stdout } = await run('openssl', [
      'verify',
      '-CAfile',
      join(d, 'ca.crt'),
      '-purpose',
      'sslserver',
      join(d, 'apiserver.crt'),
    ]);
    assert.match(stdout, /apiserver\.crt: OK/);
    const text = (await run('openssl', ['x509', '-in', join(d, 'apiserver.crt'), '-noout', '-text'])).stdout;
    assert.match(text, /ecdsa-with-SHA256/);
    assert.match(text, /TLS Web Server Authentication/);
    assert.match(text, /DNS:localhost/);
    assert.match(text, /DNS:edge\.example\.com/);
    assert.match(text, /IP Address:127\.0\.0\.1/);
    assert.match(text, /IP Address:10\.1\.2\.3/);
    assert.match(text, /IP Address:0:0:0:0:0:0:0:1/);
    const caText = (await run('openssl', ['x509', '-in', join(d, 'ca.crt'), '-noout', '-text'])).stdout;
    assert.match(caText, /CA:TRUE/);
    assert.match(caText, /Certificate Sign/);
    assert.match(caText, /NIST CURVE: P-256|prime256v1/);
  });
});

describe('loadOrCreateServingPki on disk', () => {
  test('creates keys with mode 0600 and reuses everything on the next start', async () => {
    const d = join(dir, 'reuse');
    const clock = new FakeClock(Date.now());
    const first = await loadOrCreateServingPki(d, { clock });
    assert.equal(first.changes.length, 2);
    for (const f of ['ca.key', 'apiserver.key'])
      assert.equal((await stat(join(d, f))).mode & 0o777, 0o600, f);
    assert.equal(first.ca.certPem, await readFile(join(d, 'ca.crt'), 'utf8'));
    assert.equal(parseCertificate(first.ca.certDer).commonName, 'edgeproof-ca');

    const second = await loadOrCreateServingPki(d, { clock });
    assert.deepEqual(second.changes, []);
    assert.equal(second.caCertPem, first.caCertPem);
    assert.equal(second.ca.keyPem, first.ca.keyPem);
    assert.equal(second.certPem, first.certPem);
    assert.equal(second.keyPem, first.keyPem);
  });

  test('re-issues a serving cert that expires within 30 days, keeping the CA', async () => {
    const d = join(dir, 'expiry');
    const clock = new FakeClock(Date.now());
    const first = await loadOrCreateServingPki(d, { clock });
    const before = parseCertificate(first.certPem);
    clock.advance(300 * DAY);
    assert.deepEqual((await loadOrCreateServingPki(d, { clock })).changes, [], 'still 65 days left');
    clock.advance(40 * DAY);
    const renewed = await loadOrCreateServingPki(d, { clock });
    assert.equal(renewed.changes.length, 1);
    assert.match(renewed.changes[0] ?? '', /expires on/);
    assert.equal(renewed.caCertPem, first.caCertPem);
    const after = parseCertificate(renewed.certPem);
    assert.ok(after.notAfter.getTime() > before.notAfter.getTime() + 300 * DAY);
    assert.notEqual(after.serialNumber, before.serialNumber);
  });

  test('re-issues when the hosts are not all covered', async () => {
    const d = join(dir, 'hosts');
    const clock = new FakeClock(Date.now());
    await loadOrCreateServingPki(d, { clock });
    const wider = await loadOrCreateServingPki(d, {
      clock,
      hosts: ['Edge.Example.com', '[fd00::10]', '10.0.0.5'],
    });
    assert.match(wider.changes[0] ?? '', /does not cover edge\.example\.com, fd00::10, 10\.0\.0\.5/);
    const info = parseCertificate(wider.certPem);
    assert.deepEqual(info.dnsNames, ['localhost', 'edge.example.com']);
    assert.deepEqual(info.ipAddresses, ['127.0.0.1', '::1', 'fd00::10', '10.0.0.5']);
    assert.deepEqual(info.usages, ['server']);
    assert.equal(info.isCa, false);
    await assert.rejects(loadOrCreateServingPki(d, { clock, hosts: ['https://x'] }), InvalidInputError);
  });

  test('garbage in ca.crt is a StorageError naming the file and the way out', async () => {
    const d = join(dir, 'garbage');
    const clock = new FakeClock(Date.now());
    await loadOrCreateServingPki(d, { clock });
    await writeFile(join(d, 'ca.crt'), 'not a certificate\n');
    await assert.rejects(loadOrCreateServingPki(d, { clock }), (err: unknown) => {
      assert.ok(err instanceof StorageError);
      assert.match(err.message, new RegExp(`${join(d, 'ca.crt')} is not a readable PEM certificate`));
      assert.match(err.message, /delete the folder/);
      return true;
    });
  });

  test('a CA key that does not match ca.crt, or a missing half, is a StorageError', async () => {
    const d = join(dir, 'mismatch');
    const clock = new FakeClock(Date.now());
    await loadOrCreateServingPki(d, { clock });
    const other = await createCertificateAuthority({ commonName: 'x', clock, validityDays: 10 });
    await writeFile(join(d, 'ca.key'), other.keyPem);
    await assert.rejects(loadOrCreateServingPki(d, { clock }), /ca\.key does not belong to .*ca\.crt/);
    await rm(join(d, 'ca.key'));
    await assert.rejects(loadOrCreateServingPki(d, { clock }), (err: unknown) => {
      assert.ok(err instanceof StorageError);
      assert.match(err.message, /ca\.crt exists but .*ca\.key does not/);
      return true;
    });
  });

  test('a corrupt serving key is a StorageError, a serving cert from another CA is replaced', async () => {
    const d = join(dir, 'serving');
    const clock = new FakeClock(Date.now());
    await loadOrCreateServingPki(d, { clock });
    const keyPem = await readFile(join(d, 'apiserver.key'), 'utf8');
    await writeFile(join(d, 'apiserver.key'), 'junk');
    await assert.rejects(
      loadOrCreateServingPki(d, { clock }),
      /apiserver\.key is not a readable PEM private key/,
    );
    await writeFile(join(d, 'apiserver.key'), keyPem);
    const other = await createCertificateAuthority({ commonName: 'x', clock, validityDays: 10 });
    const foreign = await issueCertificate({
      ca: other,
      commonName: 'x',
      usages: ['server'],
      validityDays: 5,
      clock,
    });
    await writeFile(join(d, 'apiserver.crt'), foreign.certPem);
    const fixed = await loadOrCreateServingPki(d, { clock });
    assert.match(fixed.changes[0] ?? '', /signed by another CA/);
  });
});

describe('issueCertificate', () => {
  test('signs an openssl-made CSR like a KubeEdge edge node CSR: CN, O and client usage', async () => {
    const d = join(dir, 'csr');
    const clock = new FakeClock(Date.now());
    const ca = await createCertificateAuthority({ commonName: 'edgeproof-ca', clock, validityDays: 3650 });
    await loadOrCreateServingPki(d, { clock }); // makes the folder
    await writeFile(join(d, 'edge-ca.crt'), ca.certPem);
    // The subject keadm join uses (kubeedge-protocol.md §2.4).
    await run('openssl', [
      'ecparam',
      '-name',
      'prime256v1',
      '-genkey',
      '-noout',
      '-out',
      join(d, 'edge.key'),
    ]);
    await run('openssl', [
      'req',
      '-new',
      '-key',
      join(d, 'edge.key'),
      '-subj',
      '/C=CN/ST=Zhejiang/L=Hangzhou/O=system:nodes/CN=system:node:edge-1',
      '-outform',
      'DER',
      '-out',
      join(d, 'edge.csr'),
    ]);
    const csrDer = await readFile(join(d, 'edge.csr'));

    const request = readCertificateRequest(csrDer);
    assert.equal(request.commonName, 'system:node:edge-1');
    assert.deepEqual(request.organization, ['system:nodes']);

    const issued = await issueCertificate({
      ca,
      csrDer,
      commonName: request.commonName ?? '',
      organization: request.organization,
      usages: ['client'],
      validityDays: 365,
      clock,
    });
    assert.equal(issued.keyPem, undefined, 'the edge keeps its own key');
    const info = parseCertificate(issued.certDer);
    assert.equal(info.commonName, 'system:node:edge-1');
    assert.deepEqual(info.organization, ['system:nodes']);
    assert.deepEqual(info.usages, ['client']);
    assert.equal(info.issuerCommonName, 'edgeproof-ca');
    const edgePublic = createPublicKey(await readFile(join(d, 'edge.key'), 'utf8')).export({
      type: 'spki',
      format: 'der',
    });
    assert.deepEqual(info.publicKeyDer, edgePublic);

    await writeFile(join(d, 'edge.crt'), issued.certPem);
    const { stdout } = await run('openssl', [
      'verify',
      '-CAfile',
      join(d, 'edge-ca.crt'),
      '-purpose',
      'sslclient',
      join(d, 'edge.crt'),
    ]);
    assert.match(stdout, /edge\.crt: OK/);
  });

  test('rejects a CSR whose signature was tampered with, and bytes that are no CSR', async () => {
    const d = join(dir, 'csr');
    const csrDer = await readFile(join(d, 'edge.csr'));
    const tampered = Buffer.from(csrDer);
    tampered[tampered.length - 2] = (tampered[tampered.length - 2] ?? 0) ^ 0x55;
    assert.throws(
      () => readCertificateRequest(tampered),
      (err: unknown) => {
        assert.ok(err instanceof InvalidInputError);
        assert.match(err.message, /signature/);
        return true;
      },
    );
    // Change the CN inside the signed part: the signature no longer matches.
    const altered = Buffer.from(csrDer.toString('latin1').replace('edge-1', 'edge-2'), 'latin1');
    assert.throws(() => readCertificateRequest(altered), /signature does not verify/);
    assert.throws(() => readCertificateRequest(Buffer.from('garbage')), /not a valid DER PKCS#10 CSR/);
    const ca = await createCertificateAuthority({ commonName: 'c', clock: new FakeClock(), validityDays: 1 });
    await assert.rejects(
      issueCertificate({
        ca,
        csrDer: tampered,
        commonName: 'x',
        usages: ['client'],
        validityDays: 1,
        clock: new FakeClock(),
      }),
      InvalidInputError,
    );
  });

  test('verifies CSRs signed with Ed25519 and RSA keys, and refuses a P-192 key', async () => {
    const d = join(dir, 'csr-kinds');
    await loadOrCreateServingPki(d, { clock: new FakeClock(Date.now()) }); // makes the folder
    const csrFor = async (name: string, keyArgs: string[]): Promise<Buffer> => {
      await run('openssl', ['genpkey', ...keyArgs, '-out', join(d, `${name}.key`)]);
      await run('openssl', [
        'req',
        '-new',
        '-key',
        join(d, `${name}.key`),
        '-subj',
        `/O=system:nodes/CN=system:node:${name}`,
        '-outform',
        'DER',
        '-out',
        join(d, `${name}.csr`),
      ]);
      return readFile(join(d, `${name}.csr`));
    };
    const ed = readCertificateRequest(await csrFor('ed', ['-algorithm', 'ed25519']));
    assert.equal(ed.commonName, 'system:node:ed');
    const rsa = readCertificateRequest(
      await csrFor('rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']),
    );
    assert.deepEqual(rsa.organization, ['system:nodes']);
    const p192 = await csrFor('p192', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime192v1']);
    assert.throws(() => readCertificateRequest(p192), /prime192v1 key; use ECDSA P-256/);
  });

  test('keeps subject values verbatim and writes IP addresses in canonical form', async () => {
    const clock = new FakeClock(Date.UTC(2030, 5, 1));
    const ca = await createCertificateAuthority({ commonName: 'c', clock, validityDays: 100 });
    const odd = 'node:a,b+c="d"\\e #1';
    const issued = await issueCertificate({
      ca,
      commonName: odd,
      organization: ['#41', 'O=x'],
      ipAddresses: ['::FFFF:192.0.2.1', '2001:DB8:0:0:0:0:0:1'],
      usages: ['client'],
      validityDays: 1,
      clock,
    });
    const info = parseCertificate(issued.certPem);
    assert.equal(info.commonName, odd);
    assert.deepEqual(info.organization, ['#41', 'O=x']);
    assert.deepEqual(info.ipAddresses, ['::ffff:c000:201', '2001:db8::1']);
  });

  test('generates a key when none is given, and certifies a given public key', async () => {
    const clock = new FakeClock(Date.UTC(2030, 5, 1));
    const ca = await createCertificateAuthority({ commonName: 'c', clock, validityDays: 100 });
    const a = await issueCertificate({
      ca,
      commonName: 'admin',
      organization: 'system:masters',
      usages: ['client', 'server'],
      dnsNames: ['a.example'],
      ipAddresses: ['192.0.2.1'],
      validityDays: 10,
      clock,
    });
    assert.ok(a.keyPem?.startsWith('-----BEGIN PRIVATE KEY-----'));
    const info = parseCertificate(a.certPem);
    assert.deepEqual(info.usages, ['client', 'server']);
    assert.deepEqual(info.organization, ['system:masters']);
    assert.equal(info.notAfter.getTime(), Date.UTC(2030, 5, 11));
    assert.equal(info.notBefore.getTime(), Date.UTC(2030, 5, 1) - 3_600_000);

    const b = await issueCertificate({
      ca,
      commonName: 'b',
      publicKey: createPublicKey(a.keyPem ?? ''),
      usages: ['client'],
      validityDays: 1000,
      clock,
    });
    assert.equal(b.keyPem, undefined);
    assert.deepEqual(parseCertificate(b.certDer).publicKeyDer, info.publicKeyDer);
    assert.equal(
      parseCertificate(b.certDer).notAfter.getTime(),
      parseCertificate(ca.certDer).notAfter.getTime(),
      'a leaf never outlives its CA',
    );
  });

  test('refuses bad input with InvalidInputError', async () => {
    const clock = new FakeClock();
    const ca = await createCertificateAuthority({ commonName: 'c', clock, validityDays: 100 });
    const base = { ca, commonName: 'x', usages: ['client'] as const, validityDays: 1, clock };
    await assert.rejects(issueCertificate({ ...base, usages: [] }), InvalidInputError);
    await assert.rejects(issueCertificate({ ...base, commonName: ' ' }), InvalidInputError);
    await assert.rejects(issueCertificate({ ...base, validityDays: 0 }), InvalidInputError);
    await assert.rejects(issueCertificate({ ...base, ipAddresses: ['1.2.3'] }), InvalidInputError);
    await assert.rejects(
      issueCertificate({ ...base, ca: { certPem: ca.certPem, keyPem: 'x' } }),
      InvalidInputError,
    );
    await assert.rejects(issueCertificate({ ...base, publicKey: 'nope' }), InvalidInputError);
  });
});
