/**
 * KubeEdge's join token, as `keadm gettoken` prints it and `keadm join --token` consumes it
 * (kubeedge-protocol.md §2.4, §12 gotcha 8): `hex(sha256(CA DER)) + "." + JWT`, four dot-separated
 * parts in all. The first part lets a joining edge check the CA it downloads from `/ca.crt` before
 * trusting it; the JWT proves to the cloud that the request comes from someone the operator gave
 * the token to.
 *
 * Checked against kubeedge/kubeedge `pkg/security/token/token.go` and its users:
 * - The JWT is golang-jwt's `NewWithClaims(SigningMethodHS256, RegisteredClaims{ExpiresAt})`. Go
 *   marshals the header map with sorted keys and omits empty claims, so the JWT's two JSON parts are
 *   exactly `{"alg":"HS256","typ":"JWT"}` and `{"exp":<seconds>}`; `exp` is truncated to whole
 *   seconds (`jwt.TimePrecision = time.Second`). We produce the same bytes.
 * - The HMAC key is the CA private key *as stored* in secret `kubeedge/casecret` key `cakeydata`:
 *   `x509.MarshalECPrivateKey`, i.e. SEC 1 `EC PRIVATE KEY` DER (`pkg/security/certs/x509_ca.go`
 *   `GenPrivateKey`), not PKCS #8. Callers pass those bytes verbatim, never a re-encoding.
 * - The hash is `hex.EncodeToString(sha256.Sum256(caDER))`: 64 lower-case hex digits over the CA
 *   certificate DER (`hashCA`; the edge repeats it in `edge/pkg/edgehub/certificate/certmanager.go`
 *   `ValidateCACerts` and compares strings exactly).
 * - Lifetime: `Create(ca, caKey, TokenRefreshDuration)` sets `exp` to now + 2 × the 12 h refresh
 *   period, so any token read from the secret is valid for at least 12 h more.
 * - Verification (`token.Verify`, used by `cloud/pkg/cloudhub/servers/httpserver/certificate/certs.go`
 *   `verifyAuthorization`) accepts any HMAC algorithm keyed with the CA key, and golang-jwt v5's
 *   validator accepts the token while `now < exp` (`validator.go` `verifyExpiresAt`): at `exp` exactly
 *   it is expired. jose's `jwtVerify` draws the same line (`exp <= now` fails).
 */
import { createHash } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { InvalidInputError, errorMessage, type Clock } from '@edgeproof/core';

/** Lifetime of a token: twice KubeEdge's 12 h refresh period (`token.Create`). */
export const TOKEN_TTL_MS = 24 * 3_600_000;

/** Why a token was refused. */
export type TokenFailureReason = 'malformed' | 'ca-hash-mismatch' | 'bad-signature' | 'expired';

/** The outcome of checking a token: when it expires, or why it is refused (`message` is for people). */
export type TokenCheck =
  { ok: true; expiresAt: Date } | { ok: false; reason: TokenFailureReason; message: string };

/** The two halves of a join token. */
export interface TokenParts {
  /** hex(sha256(CA certificate DER)), lower case. */
  caHash: string;
  /** The JWT: what the edge sends as `Authorization: Bearer <jwt>`. */
  jwt: string;
}

export interface CreateTokenOptions {
  /** The CA certificate, DER; its hash becomes the token's first part. */
  caCertDer: Uint8Array;
  /** The CA private key exactly as stored in `cakeydata` (SEC 1 DER for KubeEdge-made CAs): the HMAC key. */
  caKeyDer: Uint8Array;
  clock: Clock;
  /** Default 24 h, as KubeEdge. */
  ttlMs?: number;
}

export interface VerifyTokenOptions {
  caCertDer: Uint8Array;
  caKeyDer: Uint8Array;
  clock: Clock;
}

/** HMAC algorithms a token may use: KubeEdge accepts any `*jwt.SigningMethodHMAC`, and mints HS256. */
const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const FOR_A_NEW_TOKEN = "run 'edgeproof token' on the cloud for a new one";

/** hex(sha256(der)), lower case: the first part of a token, and what an edge checks `/ca.crt` against. */
export function hashCaCertificate(caCertDer: Uint8Array): string {
  return createHash('sha256').update(caCertDer).digest('hex');
}

/** Mints a join token valid for `ttlMs` from the clock's now, byte-compatible with KubeEdge's `token.Create`. */
export async function createToken(options: CreateTokenOptions): Promise<string> {
  const ttlMs = options.ttlMs ?? TOKEN_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new InvalidInputError(`ttlMs must be a positive number of milliseconds, got ${ttlMs}`);
  }
  requireBytes(options.caCertDer, 'caCertDer');
  requireBytes(options.caKeyDer, 'caKeyDer');
  // golang-jwt's NumericDate truncates to whole seconds.
  const exp = Math.floor((options.clock.now() + ttlMs) / 1000);
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(exp)
    .sign(new Uint8Array(options.caKeyDer));
  return `${hashCaCertificate(options.caCertDer)}.${jwt}`;
}

/**
 * Splits a token into its CA hash and JWT, as the edge does before `/ca.crt` and `/edge.crt`.
 * Surrounding white space (a pasted newline) is ignored. Throws InvalidInputError when the token
 * does not have four dot-separated parts or its first part is not 64 lower-case hex digits.
 */
export function splitToken(token: string): TokenParts {
  const trimmed = token.trim();
  const parts = trimmed.split('.');
  if (parts.length !== 4 || parts.some((p) => p === '')) {
    throw new InvalidInputError(
      `the token has ${parts.length} dot-separated part(s), not 4 (<CA hash>.<JWT header>.<JWT claims>.<JWT signature>); copy the whole token printed by 'edgeproof token' or 'keadm gettoken'`,
    );
  }
  const [caHash = '', ...jwt] = parts;
  if (!HEX_SHA256.test(caHash)) {
    throw new InvalidInputError(
      'the token does not start with the CA hash (64 lower-case hex digits, the sha256 of the CA certificate); copy the whole token',
    );
  }
  return { caHash, jwt: jwt.join('.') };
}

/** Checks a whole token (CA hash and JWT) against the cloud's CA: what cloudcore can say about a token a user shows it. */
export async function verifyToken(token: string, options: VerifyTokenOptions): Promise<TokenCheck> {
  let parts: TokenParts;
  try {
    parts = splitToken(token);
  } catch (err) {
    return { ok: false, reason: 'malformed', message: errorMessage(err) };
  }
  const actual = hashCaCertificate(options.caCertDer);
  if (parts.caHash !== actual) {
    return {
      ok: false,
      reason: 'ca-hash-mismatch',
      message: `the token was made for another CA (its CA hash is ${parts.caHash}, this cloud's CA hash is ${actual}); ${FOR_A_NEW_TOKEN}`,
    };
  }
  return verifyTokenJwt(parts.jwt, options);
}

/**
 * Checks the JWT part of a token, the way cloudhub checks `Authorization: Bearer <jwt>` on
 * `/edge.crt`: an HMAC signature keyed with the CA key bytes, and an `exp` still in the future.
 * A JWT without `exp` is refused as malformed (KubeEdge never mints one; accepting one would make
 * a token that never expires).
 */
export async function verifyTokenJwt(
  jwt: string,
  options: Pick<VerifyTokenOptions, 'caKeyDer' | 'clock'>,
): Promise<TokenCheck> {
  requireBytes(options.caKeyDer, 'caKeyDer');
  if (jwt.split('.').length !== 3) {
    return {
      ok: false,
      reason: 'malformed',
      message: 'the token is not a JWT (three dot-separated parts); send the token without its first part',
    };
  }
  try {
    const { payload } = await jwtVerify(jwt, new Uint8Array(options.caKeyDer), {
      algorithms: HMAC_ALGORITHMS,
      currentDate: new Date(options.clock.now()),
      requiredClaims: ['exp'],
    });
    // requiredClaims and jose's claim checks guarantee a numeric exp here.
    return { ok: true, expiresAt: new Date((payload.exp ?? 0) * 1000) };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      const exp = typeof err.payload.exp === 'number' ? new Date(err.payload.exp * 1000).toISOString() : '?';
      return { ok: false, reason: 'expired', message: `token expired at ${exp}: ${FOR_A_NEW_TOKEN}` };
    }
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
      return {
        ok: false,
        reason: 'bad-signature',
        message: `token signature invalid: it was not made with this cloud's CA key; ${FOR_A_NEW_TOKEN}`,
      };
    }
    if (err instanceof joseErrors.JOSEAlgNotAllowed) {
      return {
        ok: false,
        reason: 'bad-signature',
        message: `token is not HMAC-signed (KubeEdge tokens are HS256); ${FOR_A_NEW_TOKEN}`,
      };
    }
    return { ok: false, reason: 'malformed', message: `token is not a valid JWT: ${errorMessage(err)}` };
  }
}

function requireBytes(value: Uint8Array, name: string): void {
  if (!(value instanceof Uint8Array) || value.length === 0) {
    throw new InvalidInputError(`${name} must be non-empty DER bytes`);
  }
}
