// @edgeproof/crds: KubeEdge's CustomResourceDefinitions as YAML (crds/manifests/), their TypeScript
// types, and KubeEdge-style example manifests (crds/examples/). ARCHITECTURE.md §2 "crds/".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError, StorageError, errorMessage } from '@edgeproof/core';
import { parseAllDocuments } from 'yaml';
import { CRD_SCOPES } from './constants.ts';
import type { CustomResourceDefinition } from './apiextensions.ts';

export type * from './types.ts';
export type * from './apiextensions.ts';
export * from './constants.ts';

// The folders ship beside src/ in the package; located from this module, not the working directory.
const MANIFESTS_DIR = fileURLToPath(new URL('../manifests/', import.meta.url));
const EXAMPLES_DIR = fileURLToPath(new URL('../examples/', import.meta.url));

/** Absolute paths of the CRD manifests, one CustomResourceDefinition per file, sorted by name. */
export function crdManifestPaths(): string[] {
  return yamlFilesIn(MANIFESTS_DIR);
}

/**
 * Absolute paths of the example manifests (Modbus and OPC UA DeviceModel + Device, NodeGroup,
 * EdgeApplication), sorted by name. They are meant to be `kubectl apply`-ed unchanged.
 */
export function exampleManifestPaths(): string[] {
  return yamlFilesIn(EXAMPLES_DIR);
}

/**
 * Every KubeEdge CustomResourceDefinition edgeproof serves, parsed from crds/manifests/; each call
 * returns fresh objects the caller may change.
 * @throws InvalidInputError if a manifest is malformed or two manifests define the same CRD; the
 *   message names the file.
 * @throws StorageError if the manifests folder cannot be read.
 */
export function kubeEdgeCrds(): CustomResourceDefinition[] {
  const seen = new Map<string, string>();
  return crdManifestPaths().map((path) => {
    const crd = parseCrdManifest(readFileSync(path, 'utf8'), path);
    const earlier = seen.get(crd.metadata.name);
    if (earlier !== undefined) {
      throw new InvalidInputError(
        `${path}: defines ${crd.metadata.name}, already defined by ${earlier}. Keep one manifest per CRD.`,
      );
    }
    seen.set(crd.metadata.name, path);
    return crd;
  });
}

/**
 * Parses one CRD manifest and checks its shape: a single apiextensions.k8s.io/v1
 * CustomResourceDefinition whose name is `<plural>.<group>`, with a known scope and exactly one
 * storage version that has a schema. Schema contents are not validated here.
 * @param source names the manifest in error messages, usually its path.
 * @throws InvalidInputError naming `source` when the text is not such a manifest.
 */
export function parseCrdManifest(text: string, source: string): CustomResourceDefinition {
  const fail = (problem: string, cause?: unknown): never => {
    throw new InvalidInputError(`${source}: ${problem}. Fix the CustomResourceDefinition manifest.`, {
      cause,
    });
  };
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.length === 0) return fail('no YAML document found');
  if (docs.length > 1) return fail(`holds ${docs.length} YAML documents, expected one`);
  const doc = docs[0];
  const yamlError = doc?.errors[0];
  if (doc === undefined || yamlError !== undefined)
    return fail(`is not valid YAML: ${errorMessage(yamlError)}`, yamlError);
  // A JSON round trip turns YAML aliases (used for repeated schema blocks) into independent copies.
  const value = JSON.parse(JSON.stringify(doc.toJS())) as unknown;

  const root = objectAt(value, '(document)', fail);
  if (root.apiVersion !== 'apiextensions.k8s.io/v1') {
    fail(`apiVersion is ${JSON.stringify(root.apiVersion)}, expected "apiextensions.k8s.io/v1"`);
  }
  if (root.kind !== 'CustomResourceDefinition') {
    fail(`kind is ${JSON.stringify(root.kind)}, expected "CustomResourceDefinition"`);
  }
  const metadata = objectAt(root.metadata, 'metadata', fail);
  const spec = objectAt(root.spec, 'spec', fail);
  const names = objectAt(spec.names, 'spec.names', fail);
  const group = stringAt(spec.group, 'spec.group', fail);
  const plural = stringAt(names.plural, 'spec.names.plural', fail);
  stringAt(names.kind, 'spec.names.kind', fail);
  const name = stringAt(metadata.name, 'metadata.name', fail);
  // apiextensions validation: the name must be <plural>.<group>.
  if (name !== `${plural}.${group}`) fail(`metadata.name is "${name}", expected "${plural}.${group}"`);
  if (!(CRD_SCOPES as readonly unknown[]).includes(spec.scope)) {
    fail(`spec.scope is ${JSON.stringify(spec.scope)}, expected one of ${CRD_SCOPES.join(', ')}`);
  }
  if (!Array.isArray(spec.versions) || spec.versions.length === 0) fail('spec.versions is empty');
  const versions = spec.versions as unknown[];
  let storageVersions = 0;
  versions.forEach((v, i) => {
    const version = objectAt(v, `spec.versions[${i}]`, fail);
    stringAt(version.name, `spec.versions[${i}].name`, fail);
    if (typeof version.served !== 'boolean') fail(`spec.versions[${i}].served must be true or false`);
    if (typeof version.storage !== 'boolean') fail(`spec.versions[${i}].storage must be true or false`);
    if (version.storage === true) storageVersions += 1;
    const schema = objectAt(version.schema, `spec.versions[${i}].schema`, fail);
    objectAt(schema.openAPIV3Schema, `spec.versions[${i}].schema.openAPIV3Schema`, fail);
  });
  // apiextensions validation: exactly one version is stored.
  if (storageVersions !== 1) fail(`has ${storageVersions} storage versions, expected exactly one`);
  return value as CustomResourceDefinition;
}

type Fail = (problem: string) => never;

function objectAt(value: unknown, where: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`${where} must be a mapping`);
  }
  return value as Record<string, unknown>;
}

function stringAt(value: unknown, where: string, fail: Fail): string {
  if (typeof value !== 'string' || value === '') return fail(`${where} must be a non-empty string`);
  return value;
}

function yamlFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new StorageError(`cannot list ${dir}: ${errorMessage(err)}. Reinstall @edgeproof/crds.`, {
      cause: err,
    });
  }
  return names
    .filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'))
    .sort()
    .map((n) => join(dir, n));
}
