/**
 * The admin bearer token: one random secret in `<dir>/admin.token` (mode 0600), reused across
 * restarts, that kubeconfigs carry and every request must present. kubectl sends it only over TLS
 * (kubectl-contract.md §0), so it travels inside the HTTPS connection the PKI sets up.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError, errorMessage } from '@edgeproof/core';
import { writeFileAtomic } from '../pki/atomic-file.ts';

export const ADMIN_TOKEN_FILE = 'admin.token';

/** 32 random bytes as 64 lower-case hex characters. */
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Returns the admin token stored in `dir/admin.token`, creating it (32 random bytes, hex, mode 0600)
 * if the file does not exist. A file that is unreadable or does not hold a token is a StorageError.
 */
export function loadOrCreateAdminToken(dir: string): string {
  const path = join(dir, ADMIN_TOKEN_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StorageError(`cannot read ${path}: ${errorMessage(err)}; check its owner and permissions`, {
        cause: err,
      });
    }
  }
  if (text !== undefined) {
    const token = text.trim();
    if (!TOKEN_PATTERN.test(token)) {
      throw new StorageError(
        `${path} does not hold an edgeproof admin token (64 hex characters); delete it to make a new one (existing kubeconfigs stop working)`,
      );
    }
    return token;
  }
  const token = randomBytes(32).toString('hex');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(path, `${token}\n`, 0o600);
  } catch (err) {
    throw new StorageError(`cannot write ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return token;
}

/**
 * Whether an `Authorization` header carries `token` as a bearer token. The scheme is matched
 * case-insensitively and the token is the second space-separated part, as kube-apiserver does
 * (k8s.io/apiserver pkg/authentication/request/bearertoken/bearertoken.go). The comparison is
 * constant-time over SHA-256 digests, so neither the content nor the length of the token leaks.
 */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  if (header === undefined || token === '') return false;
  const parts = header.trim().split(' ');
  const [scheme, presented] = parts;
  if (parts.length < 2 || scheme?.toLowerCase() !== 'bearer' || !presented) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(token));
}
