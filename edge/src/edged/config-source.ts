/**
 * ConfigMaps and Secrets as a container sees them. The edge keeps them in its SQLite store
 * (metamanager), so the runtime is given a resolver and never talks to a cloud. Data is read as
 * bytes: a ConfigMap's `data` is text and its `binaryData` base64; a Secret's `data` is base64
 * (core/v1 Secret), and `stringData`, which an API server folds into `data`, is honoured as text in
 * case a store kept it.
 */
import { errorMessage } from '@edgeproof/core';
import { ContainerConfigError } from './runtime.ts';
import type { ConfigSourceObject } from './pod-types.ts';

export type ConfigKind = 'configmap' | 'secret';

/** Looks up a ConfigMap or Secret of the pod's namespace; `undefined` when the edge has none. */
export type ConfigResolver = (kind: ConfigKind, namespace: string, name: string) => object | undefined;

/**
 * The key → bytes of a ConfigMap or Secret, or `undefined` when it does not exist. A resolver that
 * throws or returns a malformed object becomes a ContainerConfigError naming the object.
 */
export function readConfigData(
  resolve: ConfigResolver,
  kind: ConfigKind,
  namespace: string,
  name: string,
): Map<string, Buffer> | undefined {
  let found: object | undefined;
  try {
    found = resolve(kind, namespace, name);
  } catch (err) {
    throw new ContainerConfigError(`cannot read ${kind} "${namespace}/${name}": ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (found === undefined) return undefined;
  const object = found as ConfigSourceObject;
  const out = new Map<string, Buffer>();
  const add = (field: 'data' | 'binaryData' | 'stringData', encoding: 'utf8' | 'base64'): void => {
    const values: unknown = object[field];
    if (values === undefined || values === null) return;
    if (typeof values !== 'object') throw malformed(kind, namespace, name, field);
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      if (typeof value !== 'string') throw malformed(kind, namespace, name, `${field}.${key}`);
      out.set(key, Buffer.from(value, encoding));
    }
  };
  if (kind === 'configmap') {
    add('data', 'utf8');
    add('binaryData', 'base64');
  } else {
    add('data', 'base64');
    add('stringData', 'utf8');
  }
  return out;
}

/**
 * Like `readConfigData`, for a reference that must resolve unless `optional`: a missing object that
 * is not optional is kubelet's `configmap "x" not found` / `secret "x" not found`.
 */
export function requireConfigData(
  resolve: ConfigResolver,
  kind: ConfigKind,
  namespace: string,
  name: string,
  optional: boolean | undefined,
): Map<string, Buffer> | undefined {
  const data = readConfigData(resolve, kind, namespace, name);
  if (data === undefined && optional !== true) {
    throw new ContainerConfigError(`${kind} "${name}" not found`);
  }
  return data;
}

function malformed(kind: ConfigKind, namespace: string, name: string, field: string): ContainerConfigError {
  return new ContainerConfigError(`${kind} "${namespace}/${name}" is malformed: ${field} must hold strings`);
}
