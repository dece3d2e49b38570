/**
 * `edgeproof token`: prints the current join token of the cloudcore whose cluster DIR/kubeconfig
 * (or --kubeconfig) reaches, read from secret kubeedge/tokensecret as `keadm gettoken` does.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { InvalidInputError } from '@edgeproof/core';
import { readJoinToken } from '@edgeproof/cloud';
import type { CommandSpec } from './args.ts';

export const tokenCommand: CommandSpec = {
  name: 'token',
  usage: 'edgeproof token [--data-dir DIR] [--kubeconfig FILE]',
  summary:
    'Print the join token for edge nodes (valid for at least 12 h), for edgeproof join or keadm join --token.',
  flags: {
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: 'the data dir of edgeproof up',
      default: '.edgeproof',
    },
    kubeconfig: {
      type: 'string',
      value: 'FILE',
      description: 'the cluster cloudcore runs against',
      default: 'DIR/kubeconfig',
    },
  },
};

export async function runToken(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  const dataDir = resolve(String(values['data-dir'] ?? '.edgeproof'));
  const path =
    values.kubeconfig !== undefined ? resolve(String(values.kubeconfig)) : join(dataDir, 'kubeconfig');
  if (!existsSync(path)) {
    throw new InvalidInputError(
      `no kubeconfig at ${path}: start 'edgeproof up --data-dir ${dataDir}' first, or pass --kubeconfig`,
    );
  }
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (err) {
    throw new InvalidInputError(`${path} is not a usable kubeconfig: ${(err as Error).message}`);
  }
  out(await readJoinToken(kubeConfig));
}
