/**
 * TokenRequest: `POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token`
 * (authentication.k8s.io/v1), what kube-apiserver answers for bound service-account tokens and
 * what KubeEdge's edge asks for through `serviceaccounttoken` queries (kubeedge-protocol.md §4.2–4.3).
 *
 * The token is a JWT with the claims of kube-apiserver's bound tokens
 * (`pkg/serviceaccount/claims.go`): `iss`, `sub` = `system:serviceaccount:<ns>:<name>`, `aud`,
 * `exp`/`iat`/`nbf`, and `kubernetes.io` = `{namespace, serviceaccount: {name, uid}, pod?}`.
 * `expirationSeconds` defaults to 3600 and may not be under 600 (`ValidateTokenRequest`);
 * `audiences` default to the issuer. Signed ES256 with a key made once and kept at
 * `<dataDir>/pki/service-account.key`.
 *
 * Limit, said plainly: the embedded API server still authenticates only its admin token, so these
 * tokens are for workloads and the services they present them to, not for this API server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportPKCS8, generateKeyPair, importPKCS8, type CryptoKey } from 'jose';
import { writeFileAtomic } from '../pki/atomic-file.ts';
import { invalid } from './status.ts';
import type { KubeObject } from './types.ts';

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

/** Issues TokenRequests; `load` does the I/O. */
export class ServiceAccountTokenIssuer {
  private readonly key: CryptoKey;

  private constructor(key: CryptoKey) {
    this.key = key;
  }

  /** Reads the signing key from `pkiDir`, making it the first time. */
  static async load(pkiDir: string): Promise<ServiceAccountTokenIssuer> {
    const path = join(pkiDir, 'service-account.key');
    if (existsSync(path)) {
      return new ServiceAccountTokenIssuer(await importPKCS8(readFileSync(path, 'utf8'), 'ES256'));
    }
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    writeFileAtomic(path, await exportPKCS8(privateKey), 0o600);
    return new ServiceAccountTokenIssuer(privateKey);
  }

  /** The TokenRequest answered for `serviceAccount`, with `status.token` filled in. */
  async issue(serviceAccount: KubeObject, request: unknown, nowMs: number): Promise<KubeObject> {
    const namespace = serviceAccount.metadata.namespace ?? 'default';
    const name = serviceAccount.metadata.name ?? '';
    const spec = readSpec(request, name);
    const now = Math.floor(nowMs / 1000);
    const exp = now + spec.expirationSeconds;
    const bound = spec.boundObjectRef;
    const token = await new SignJWT({
      'kubernetes.io': {
        namespace,
        serviceaccount: { name, uid: serviceAccount.metadata.uid },
        ...(bound?.kind === 'Pod' ? { pod: { name: bound.name, uid: bound.uid } } : {}),
      },
    })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(SERVICE_ACCOUNT_ISSUER)
      .setSubject(`system:serviceaccount:${namespace}:${name}`)
      .setAudience(spec.audiences)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .sign(this.key);
    return {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name, namespace },
      spec: {
        audiences: spec.audiences,
        expirationSeconds: spec.expirationSeconds,
        boundObjectRef: bound ?? null,
      },
      status: { token, expirationTimestamp: new Date(exp * 1000).toISOString().replace('.000Z', 'Z') },
    };
  }
}

interface TokenSpec {
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

function readSpec(request: unknown, name: string): TokenSpec {
  const spec = (request as { spec?: Record<string, unknown> } | null)?.spec ?? {};
  const audiences = Array.isArray(spec.audiences)
    ? spec.audiences.filter((a): a is string => typeof a === 'string' && a !== '')
    : [];
  const expirationSeconds =
    typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : DEFAULT_EXPIRATION_SECONDS;
  if (
    !Number.isInteger(expirationSeconds) ||
    expirationSeconds < MIN_EXPIRATION_SECONDS ||
    expirationSeconds > MAX_EXPIRATION_SECONDS
  ) {
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [
      {
        field: 'spec.expirationSeconds',
        message: `may not specify a duration less than 10 minutes or more than 2^32 seconds, got ${String(spec.expirationSeconds)}`,
      },
    ]);
  }
  const ref = spec.boundObjectRef;
  return {
    audiences: audiences.length > 0 ? audiences : [SERVICE_ACCOUNT_ISSUER],
    expirationSeconds,
    ...(typeof ref === 'object' && ref !== null ? { boundObjectRef: ref } : {}),
  };
}
