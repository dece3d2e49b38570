/**
 * Kubeconfig files for the embedded API server: a v1 `Config` that trusts our CA through
 * `certificate-authority-data` (never `insecure-skip-tls-verify`) and authenticates with the admin
 * bearer token. Field names follow client-go `tools/clientcmd/api/v1/types.go`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { InvalidInputError, StorageError, errorMessage } from '@edgeproof/core';
import { writeFileAtomic } from '../pki/atomic-file.ts';

export interface KubeconfigOptions {
  /** `https://host:port`. Plain http is refused: kubectl does not send bearer tokens over it (kubectl-contract.md §0). */
  server: string;
  /** PEM of the CA that signed the server's certificate. */
  caPem: string;
  token: string;
  clusterName?: string;
  user?: string;
  context?: string;
}

/** Renders a kubeconfig YAML with one cluster, one token user and one current context. */
export function renderKubeconfig(options: KubeconfigOptions): string {
  const clusterName = options.clusterName ?? 'edgeproof';
  const user = options.user ?? 'edgeproof-admin';
  const context = options.context ?? 'edgeproof';
  let url: URL;
  try {
    url = new URL(options.server);
  } catch (err) {
    throw new InvalidInputError(`kubeconfig server "${options.server}" is not a URL`, { cause: err });
  }
  if (url.protocol !== 'https:') {
    throw new InvalidInputError(
      `kubeconfig server "${options.server}" must be https://: kubectl sends bearer tokens only over TLS`,
    );
  }
  if (!options.caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InvalidInputError('kubeconfig caPem must be a PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  if (options.token === '' || /\s/.test(options.token)) {
    throw new InvalidInputError('kubeconfig token must be non-empty and without whitespace');
  }
  for (const [field, value] of [
    ['clusterName', clusterName],
    ['user', user],
    ['context', context],
  ] as const) {
    if (value.trim() === '') throw new InvalidInputError(`kubeconfig ${field} must be non-empty`);
  }
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: clusterName,
        cluster: {
          server: options.server,
          // []byte fields are base64 in kubeconfig YAML/JSON (clientcmd api v1 Cluster.CertificateAuthorityData).
          'certificate-authority-data': Buffer.from(options.caPem, 'utf8').toString('base64'),
        },
      },
    ],
    users: [{ name: user, user: { token: options.token } }],
    contexts: [{ name: context, context: { cluster: clusterName, user } }],
    'current-context': context,
    preferences: {},
  };
  return stringify(config, { lineWidth: 0 });
}

/** Writes kubeconfig text to `path` atomically (temp file, fsync, rename) with mode 0600, creating the folder. */
export function writeKubeconfig(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileAtomic(path, text, 0o600);
  } catch (err) {
    throw new StorageError(`cannot write the kubeconfig ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
