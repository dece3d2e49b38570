import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, createPrivateKey } from 'node:crypto';
import { FakeClock, InvalidInputError } from '@edgeproof/core';
import { createCertificateAuthority } from '../pki/pki.ts';
import {
  TOKEN_TTL_MS,
  createToken,
  hashCaCertificate,
  splitToken,
  verifyToken,
  verifyTokenJwt,
} from './token.ts';

const START = Date.UTC(2026, 5, 1, 12, 0, 0, 250);

async function makeCa(): Promise<{ caCertDer: Buffer; caKeyDer: Buffer }> {
  const ca = await createCertificateAuthority({
    commonName: 'KubeEdge',
    clock: new FakeClock(START),
    validityDays: 365,
  });
  // The HMAC key is the SEC 1 DER KubeEdge stores in cakeydata.
  const caKeyDer = createPrivateKey(ca.keyPem).export({ type: 'sec1', format: 'der' });
  return { caCertDer: ca.certDer, caKeyDer };
}

const b64json = (part: string | undefined): unknown =>
  JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));

test('a token is hex(sha256(CA DER)) and an HS256 JWT carrying only exp, as KubeEdge makes it', async () => {
  const { caCertDer, caKeyDer } = await makeCa();
  const clock = new FakeClock(START);
  const token = await createToken({ caCertDer, caKeyDer, clock });
  const parts = token.split('.');
  assert.equal(parts.length, 4);
  assert.equal(parts[0], createHash('sha256').update(caCertDer).digest('hex'));
  assert.match(parts[0] ?? '', /^[0-9a-f]{64}$/);
  // Exactly the bytes golang-jwt writes: sorted header keys, exp truncated to seconds.
  assert.equal(Buffer.from(parts[1] ?? '', 'base64url').toString(), '{"alg":"HS256","typ":"JWT"}');
  assert.deepEqual(b64json(parts[2]), { exp: Math.floor((START + TOKEN_TTL_MS) / 1000) });
  const mac = createHmac('sha256', caKeyDer).update(`${parts[1]}.${parts[2]}`).digest('base64url');
  assert.equal(parts[3], mac);
});

test('round trip: a fresh token verifies, whole or as its JWT part', async () => {
  const { caCertDer, caKeyDer } = await makeCa();
  const clock = new FakeClock(START);
  const token = await createToken({ caCertDer, caKeyDer, clock });
  const whole = await verifyToken(token, { caCertDer, caKeyDer, clock });
  assert.deepEqual(whole, {
    ok: true,
    expiresAt: new Date(Math.floor((START + TOKEN_TTL_MS) / 1000) * 1000),
  });
  const { caHash, jwt } = splitToken(`${token}\n`);
  assert.equal(caHash, hashCaCertificate(caCertDer));
  assert.equal((await verifyTokenJwt(jwt, { caKeyDer, clock })).ok, true);
});

test('a custom ttl sets exp', async () => {
  const { caCertDer, caKeyDer } = await makeCa();
  const clock = new FakeClock(START);
  const token = await createToken({ caCertDer, caKeyDer, clock, ttlMs: 60_000 });
  assert.deepEqual(b64json(token.split('.')[2]), { exp: Math.floor((START + 60_000) / 1000) });
  await assert.rejects(createToken({ caCertDer, caKeyDer, clock, ttlMs: 0 }), InvalidInputError);
});

test('malformed tokens are refused with reason malformed', async () => {
  const { caCertDer, caKeyDer } = await makeCa();
  const clock = new FakeClock(START);
  const token = await createToken({ caCertDer, caKeyDer, clock });
  const [hash, h, c, s] = token.split('.');
  for (const bad of [
    '',
    'abc',
    `${h}.${c}.${s}`, // the JWT alone is not a whole token
    `${hash?.toUpperCase()}.${h}.${c}.${s}`,
    `${hash}.${h}.${c}.${s}.x`,
    `${hash}.%%%.${c}.${s}`,
  ]) {
    const result = await verifyToken(bad, { caCertDer, caKeyDer, clock });
    assert.equal(result.ok, false, bad);
    assert.equal(!result.ok && result.reason, 'malformed', bad);
  }
  assert.throws(() => splitToken('a.b.c'), InvalidInputError);
  const noJwt = await verifyTokenJwt('not-a-jwt', { caKeyDer, clock });
  assert.equal(!noJwt.ok && noJwt.reason, 'malformed');
});

test('a JWT without exp is refused as malformed', async () => {
  const { caKeyDer } = await makeCa();
  const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
  const claims = Buffer.from('{}').toString('base64url');
  const sig = createHmac('sha256', caKeyDer).update(`${header}.${claims}`).digest('base64url');
  const result = await verifyTokenJwt(`${header}.${claims}.${sig}`, {
    caKeyDer,
    clock: new FakeClock(START),
  });
  assert.equal(!result.ok && result.reason, 'malformed');
});

test('a token for another CA is refused with reason ca-hash-mismatch', async () => {
  const mine = await makeCa();
  const other = await makeCa();
  const clock = new FakeClock(START);
  const token = await createToken({ ...other, clock });
  const result = await verifyToken(token, { ...mine, clock });
  assert.equal(!result.ok && result.reason, 'ca-hash-mismatch');
  assert.match(!result.ok ? result.message : '', /another CA/);
});

test('a JWT signed with another key is refused with reason bad-signature', async () => {
  const mine = await makeCa();
  const other = await makeCa();
  const clock = new FakeClock(START);
  // Right CA hash, wrong key: someone who saw the CA certificate but not its key.
  const forged = await createToken({ caCertDer: mine.caCertDer, caKeyDer: other.caKeyDer, clock });
  const result = await verifyToken(forged, { ...mine, clock });
  assert.equal(!result.ok && result.reason, 'bad-signature');

  // A tampered claim breaks the signature too.
  const token = await createToken({ ...mine, clock });
  const [hash, h, , s] = token.split('.');
  const later = Buffer.from(`{"exp":${Math.floor(START / 1000) + 10 * 86_400}}`).toString('base64url');
  const tampered = await verifyToken(`${hash}.${h}.${later}.${s}`, { ...mine, clock });
  assert.equal(!tampered.ok && tampered.reason, 'bad-signature');

  // An unsigned token ("alg":"none") is not accepted either.
  const none = Buffer.from('{"alg":"none"}').toString('base64url');
  const unsigned = await verifyToken(`${hash}.${none}.${later}.x`, { ...mine, clock });
  assert.equal(unsigned.ok, false);
});

test('expiry: valid up to the second before exp, expired at exp exactly (golang-jwt: now < exp)', async () => {
  const { caCertDer, caKeyDer } = await makeCa();
  const clock = new FakeClock(START);
  const token = await createToken({ caCertDer, caKeyDer, clock });
  const expMs = Math.floor((START + TOKEN_TTL_MS) / 1000) * 1000;

  clock.advance(expMs - 1 - clock.now());
  assert.equal((await verifyToken(token, { caCertDer, caKeyDer, clock })).ok, true);

  clock.advance(1);
  assert.equal(clock.now(), expMs);
  const atExp = await verifyToken(token, { caCertDer, caKeyDer, clock });
  assert.equal(!atExp.ok && atExp.reason, 'expired');
  assert.match(!atExp.ok ? atExp.message : '', /token expired at .*run 'edgeproof token'/);

  clock.advance(3_600_000);
  const later = await verifyToken(token, { caCertDer, caKeyDer, clock });
  assert.equal(!later.ok && later.reason, 'expired');
});

test('a bad signature is reported before expiry', async () => {
  const mine = await makeCa();
  const other = await makeCa();
  const clock = new FakeClock(START);
  const forged = await createToken({ caCertDer: mine.caCertDer, caKeyDer: other.caKeyDer, clock });
  clock.advance(2 * TOKEN_TTL_MS);
  const result = await verifyToken(forged, { ...mine, clock });
  assert.equal(!result.ok && result.reason, 'bad-signature');
});
