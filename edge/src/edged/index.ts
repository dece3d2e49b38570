/**
 * edged's pod runtimes: the public surface of `edge/src/edged` (runtime.ts has the contract).
 * `createRuntime` picks one by the name a `--runtime` flag gives.
 */
import { InvalidInputError } from '@edgeproof/core';
import { CriRuntime } from './cri-runtime.ts';
import { HollowRuntime } from './hollow-runtime.ts';
import { ProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.ts';
import type { PodRuntime, RuntimeKind, RuntimeOptions } from './runtime.ts';

export * from './runtime.ts';
export type * from './pod-types.ts';
export type { ConfigKind, ConfigResolver } from './config-source.ts';
export { CRASH_BACKOFF_INITIAL_MS, CRASH_BACKOFF_MAX_MS, type CrashBackoffOptions } from './crash-backoff.ts';
export { mountEnvName } from './container-plan.ts';
export { ProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.ts';
export { HollowRuntime } from './hollow-runtime.ts';
export { CriRuntime } from './cri-runtime.ts';

/** Options of `createRuntime`: `rootDir` and `resolveConfig` are needed by `process` only. */
export type CreateRuntimeOptions = RuntimeOptions &
  Partial<Omit<ProcessRuntimeOptions, keyof RuntimeOptions>>;

/** The runtime of that kind; `process` without `rootDir` or `resolveConfig` is an InvalidInputError. */
export function createRuntime(kind: 'process', options: ProcessRuntimeOptions): ProcessRuntime;
export function createRuntime(kind: RuntimeKind, options: CreateRuntimeOptions): PodRuntime;
export function createRuntime(kind: RuntimeKind, options: CreateRuntimeOptions): PodRuntime {
  switch (kind) {
    case 'process': {
      const { rootDir, resolveConfig } = options;
      if (rootDir === undefined || resolveConfig === undefined) {
        throw new InvalidInputError('runtime "process" needs rootDir and resolveConfig');
      }
      return new ProcessRuntime({ ...options, rootDir, resolveConfig });
    }
    case 'hollow':
      return new HollowRuntime(options);
    case 'cri':
      return new CriRuntime();
  }
}
