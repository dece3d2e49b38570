/**
 * The semantics of the Kubernetes REST verbs over `Storage`, independent of HTTP: what
 * kube-apiserver's generic registry does (k8s.io/apiserver pkg/registry/generic/registry/store.go)
 * for the resources edge work needs. The HTTP layer (server.ts) and the in-process controllers
 * both go through it, so every write gets the same validation, defaulting and concurrency rules.
 */
import { randomUUID, randomInt } from 'node:crypto';
import type { Clock, Logger } from '@edgeproof/core';
import type { Storage, StoredChange } from './storage.ts';
import { ResourceTypes, storageKey } from './resource-types.ts';
import { apiVersionOf, type KubeObject, type ResourceType } from './types.ts';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  gone,
  invalid,
  notFound,
  type StatusCause,
} from './status.ts';
import { clone, fieldValue, getPath, isPlainObject, jsonEqual, kubeTime, setPath } from './object-fields.ts';
import {
  fieldPaths,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type FieldSelector,
  type LabelSelector,
} from './selectors.ts';
import { applyMergePatch, applyPatch, patchMetaFor } from './patch/index.ts';
import {
  formatLabelSelector,
  pruneUnknownFields,
  resourceTypesFromCrd,
  validateAgainstSchema,
  validateBuiltin,
  validateCrd,
  validateObjectName,
} from './catalog/index.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
}

export interface WriteResult {
  object: KubeObject;
  /** Warnings for the `Warning` response header (kubectl-contract.md §8). */
  warnings: string[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Unset, "" or "0": start with ADDED events for every current object. */
  resourceVersion?: string;
}

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject };

/** Namespaces every cluster has; kube-apiserver refuses to delete them. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

/** Finalizers the garbage collector acts on (k8s.io/apimachinery metav1.FinalizerDeleteDependents/Orphan). */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

const NAMESPACES_KEY = '/namespaces';
const CRDS_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

export class Registry {
  readonly types: ResourceTypes;
  private readonly storage: Storage;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(options: { storage: Storage; types: ResourceTypes; clock: Clock; logger: Logger }) {
    this.storage = options.storage;
    this.types = options.types;
    this.clock = options.clock;
    this.logger = options.logger;
  }

  /** Makes the system namespaces and registers the stored CRDs. Call once before serving. */
  bootstrap(): void {
    for (const name of SYSTEM_NAMESPACES) {
      if (!this.storage.get(NAMESPACES_KEY, '', name)) {
        this.create(this.mustType('', 'v1', 'namespaces'), undefined, { metadata: { name } });
      }
    }
    for (const { object } of this.storage.list(CRDS_KEY, undefined)) this.registerCrd(object);
  }

  currentResourceVersion(): string {
    return String(this.storage.currentRv());
  }

  /** Resolves when every write made so far is committed (Storage.settled); answer clients after it. */
  settled(): Promise<void> {
    return this.storage.settled();
  }

  mustType(group: string, version: string, plural: string): ResourceType {
    const type = this.types.find(group, version, plural);
    if (!type)
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${plural})`);
    return type;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const stored = this.storage.get(storageKey(type), scopeOf(type, namespace), name);
    if (!stored) throw notFound(type.plural, type.group, name);
    return asVersion(type, stored.object);
  }

  /** Lists in key order with kube's `limit`/`continue` chunking (api-concepts "Retrieving large results"). */
  list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): ListResult {
    const match = this.matcher(type, options.labelSelector, options.fieldSelector);
    const rv = this.storage.currentRv();
    const start = options.continue ? this.decodeContinue(options.continue) : undefined;
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const items: KubeObject[] = [];
    let more = false;
    for (const { object } of this.storage.list(storageKey(type), type.namespaced ? namespace : undefined, {
      ...(start ? { after: start } : {}),
    })) {
      if (!match(object)) continue;
      if (items.length >= limit) {
        more = true;
        break;
      }
      items.push(asVersion(type, object));
    }
    const last = items[items.length - 1];
    return {
      items,
      resourceVersion: String(rv),
      ...(more && last
        ? {
            continue: encodeContinue(
              start?.rv ?? rv,
              last.metadata.namespace ?? '',
              last.metadata.name ?? '',
            ),
          }
        : {}),
    };
  }

  create(
    type: ResourceType,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions = {},
  ): WriteResult {
    const obj = this.checkBody(type, namespace, body);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (type.namespaced) this.checkNamespaceOpen(meta.namespace ?? '');
    for (const key of [
      'uid',
      'resourceVersion',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
    ] as const) {
      delete meta[key];
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = kubeTime(this.clock.now());
    if (type.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    prepareForCreate(type, obj);
    const warnings = this.validate(type, obj, options.fieldValidation ?? 'Ignore');
    if (isCrdType(type)) this.prepareCrd(obj);
    const name = meta.name ?? '';
    const key = storageKey(type);
    const ns = scopeOf(type, meta.namespace);
    if (this.storage.get(key, ns, name)) throw alreadyExists(type.plural, type.group, name);
    if (options.dryRun) return { object: asVersion(type, obj), warnings };
    this.storage.put(key, ns, name, obj);
    if (isCrdType(type)) this.registerCrd(obj);
    return { object: asVersion(type, obj), warnings };
  }

  /**
   * Replaces an object (PUT). A resourceVersion in the body is a precondition (409 when stale);
   * without one the update is unconditional, as kube allows for these kinds. With
   * `subresource: 'status'` only the status changes; on the main resource of a kind with a status
   * subresource the status is kept (api-conventions "Spec and Status").
   */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions & { subresource?: 'status' } = {},
  ): WriteResult {
    const current = this.get(type, namespace, name);
    const incoming = this.checkBody(type, namespace, body);
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    const wantRv = incoming.metadata.resourceVersion;
    if (wantRv !== undefined && wantRv !== '' && wantRv !== current.metadata.resourceVersion) {
      throw conflict(
        type.plural,
        type.group,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = clone(current);
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
    } else {
      next = incoming;
      if (type.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = clone(current.status);
      }
    }
    next.metadata.name = name;
    // Fields only the server sets are carried over from the stored object, whatever the client sent.
    for (const key of [
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
    ] as const) {
      const kept: unknown = current.metadata[key];
      if (kept === undefined) delete next.metadata[key];
      else (next.metadata as Record<string, unknown>)[key] = kept;
    }
    if (type.namespaced) next.metadata.namespace = current.metadata.namespace;
    if (current.metadata.deletionTimestamp) {
      const added = (next.metadata.finalizers ?? []).filter(
        (f) => !(current.metadata.finalizers ?? []).includes(f),
      );
      if (added.length > 0) {
        throw invalid(type.kind, type.group, name, [
          {
            field: 'metadata.finalizers',
            message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          },
        ]);
      }
    }
    next.metadata.generation = current.metadata.generation;
    if (type.tracksGeneration && specChanged(type, current, next)) {
      next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    if (next.metadata.generation === undefined) delete next.metadata.generation;
    const warnings = this.validate(type, next, options.fieldValidation ?? 'Ignore');
    if (isCrdType(type)) this.prepareCrd(next);
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    // kubectl prints "patched (no change)" only when nothing changed, so a no-op must not bump
    // the resourceVersion (kubectl-contract.md §4).
    if (jsonEqual(stripVolatile(next), stripVolatile(current))) return { object: current, warnings };
    if (options.dryRun) return { object: asVersion(type, next), warnings };
    const key = storageKey(type);
    const ns = scopeOf(type, namespace);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.storage.remove(key, ns, name, next);
      if (isCrdType(type)) this.unregisterCrd(next);
      return { object: asVersion(type, next), warnings };
    }
    this.storage.put(key, ns, name, next, current);
    if (isCrdType(type)) this.registerCrd(next);
    return { object: asVersion(type, next), warnings };
  }

  /** PATCH with any of the patch types kubectl sends (kubectl-contract.md §3–4). */
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    options: WriteOptions & { subresource?: 'status'; force?: boolean } = {},
  ): WriteResult & { created: boolean } {
    const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    if (mediaType === 'application/apply-patch+yaml')
      return this.serverSideApply(type, namespace, name, patch, options);
    if (mediaType === 'application/strategic-merge-patch+json' && type.crdName) {
      // apiextensions-apiserver serves no strategic merge patch for custom resources.
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      );
    }
    const current = this.get(type, namespace, name);
    const patched = applyPatch(mediaType, current, patch, patchMetaFor(type.group, type.kind)) as KubeObject;
    if (!isPlainObject(patched) || !isPlainObject(patched.metadata))
      throw badRequest('the patch removed metadata');
    return { ...this.update(type, namespace, name, patched, options), created: false };
  }

  /** The autoscaling/v1 Scale of an object whose type serves `/scale`. */
  getScale(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return scaleObject(this.scaleOf(type), this.get(type, namespace, name));
  }

  /**
   * Sets the replicas a Scale names (PUT `/scale`): the object's spec replicas change, nothing
   * else (k8s.io/kubernetes pkg/registry/apps/deployment/storage ScaleREST).
   */
  updateScale(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const scale = this.scaleOf(type);
    if (!isPlainObject(body) || !isPlainObject(body.spec))
      throw badRequest('the body must be an autoscaling/v1 Scale');
    const replicas = body.spec.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', name, [
        {
          field: 'spec.replicas',
          message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        },
      ]);
    }
    const current = this.get(type, namespace, name);
    const wantRv = isPlainObject(body.metadata) ? body.metadata.resourceVersion : undefined;
    const next = clone(current);
    if (typeof wantRv === 'string' && wantRv !== '') next.metadata.resourceVersion = wantRv;
    setPath(next, scale.specReplicasPath, replicas);
    return scaleObject(scale, this.update(type, namespace, name, next, options).object);
  }

  /** PATCH `/scale`: the patch applies to the Scale, then as updateScale. */
  patchScale(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const patched = applyPatch(contentType, this.getScale(type, namespace, name), patch, undefined);
    return this.updateScale(type, namespace, name, patched, options);
  }

  private scaleOf(type: ResourceType): NonNullable<ResourceType['scale']> {
    if (!type.scale) throw new ApiError(404, 'NotFound', `${type.plural} have no scale subresource`);
    return type.scale;
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject {
    const current = this.get(type, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(
        type.plural,
        type.group,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        type.plural,
        type.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    if (storageKey(type) === NAMESPACES_KEY) return this.deleteNamespace(type, current, options);
    const finalizers = [...(current.metadata.finalizers ?? [])];
    if (options.propagationPolicy === 'Foreground' && !finalizers.includes(FOREGROUND_FINALIZER)) {
      finalizers.push(FOREGROUND_FINALIZER);
    }
    if (options.propagationPolicy === 'Orphan' && !finalizers.includes(ORPHAN_FINALIZER)) {
      finalizers.push(ORPHAN_FINALIZER);
    }
    if (options.dryRun) return current;
    const key = storageKey(type);
    const ns = scopeOf(type, namespace);
    if (finalizers.length > 0) {
      // Graceful: the object stays, marked for deletion, until its finalizers are removed.
      if (current.metadata.deletionTimestamp && jsonEqual(finalizers, current.metadata.finalizers ?? []))
        return current;
      const marked = clone(current);
      marked.metadata.finalizers = finalizers;
      marked.metadata.deletionTimestamp ??= kubeTime(this.clock.now());
      marked.metadata.deletionGracePeriodSeconds ??= 0;
      return asVersion(type, this.storage.put(key, ns, name, marked, current).object);
    }
    const change = this.storage.remove(key, ns, name, current);
    if (isCrdType(type)) this.unregisterCrd(current);
    return asVersion(type, change.object);
  }

  deleteCollection(
    type: ResourceType,
    namespace: string | undefined,
    listOptions: ListOptions,
    deleteOptions: DeleteOptions = {},
  ): ListResult {
    const listed = this.list(type, namespace, { ...listOptions, limit: 0 });
    const items: KubeObject[] = [];
    for (const item of listed.items) {
      try {
        items.push(this.delete(type, item.metadata.namespace, item.metadata.name ?? '', deleteOptions));
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return { items, resourceVersion: this.currentResourceVersion() };
  }

  /**
   * Streams changes to `onEvent`. Subscribing and replaying happen in one synchronous step, so no
   * change is missed or sent twice. An object that stops matching the selectors is sent as
   * DELETED and one that starts matching as ADDED (k8s.io/apiserver pkg/storage/cacher). Throws
   * 410 Gone when `resourceVersion` is older than the retained history.
   */
  watch(
    type: ResourceType,
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
  ): () => void {
    const match = this.matcher(type, options.labelSelector, options.fieldSelector);
    const inScope = (obj: KubeObject): boolean =>
      !type.namespaced || namespace === undefined || obj.metadata.namespace === namespace;
    const key = storageKey(type);
    const rvText = options.resourceVersion ?? '';
    const fromRv = rvText === '' || rvText === '0' ? undefined : parseResourceVersion(rvText);
    if (fromRv !== undefined && fromRv < this.storage.oldestResumableRv()) {
      throw gone(`too old resource version: ${fromRv} (${this.storage.oldestResumableRv() + 1})`);
    }
    // What the replay below covers; a change at or before it that commits later is not repeated.
    const seenUpTo = fromRv ?? this.storage.currentRv();
    const deliver = (change: StoredChange): void => {
      if (change.rv <= seenUpTo || !inScope(change.object)) return;
      const now = change.type !== 'DELETED' && match(change.object);
      const before =
        change.previous !== undefined && change.type !== 'ADDED' ? match(change.previous) : undefined;
      let type: WatchEvent['type'] | undefined;
      if (change.type === 'DELETED') type = match(change.object) || before ? 'DELETED' : undefined;
      else if (change.type === 'ADDED') type = now ? 'ADDED' : undefined;
      else if (before === undefined) type = now ? 'MODIFIED' : undefined;
      else if (now) type = before ? 'MODIFIED' : 'ADDED';
      else type = before ? 'DELETED' : undefined;
      if (type) onEvent({ type, object: asVersionOf(this.types, key, change.object) });
    };
    const unsubscribe = this.storage.subscribe(key, deliver);
    if (fromRv === undefined) {
      for (const { object } of this.storage.list(key, type.namespaced ? namespace : undefined)) {
        if (match(object)) onEvent({ type: 'ADDED', object: asVersion(type, object) });
      }
    } else {
      for (const change of this.storage.changesSince(key, fromRv)) deliver(change);
    }
    return unsubscribe;
  }

  /** Every stored object of every served type whose ownerReferences name `uid` (for the garbage collector). */
  dependentsOf(uid: string): { type: ResourceType; namespace: string; name: string }[] {
    const out: { type: ResourceType; namespace: string; name: string }[] = [];
    for (const dep of this.storage.dependentsOf(uid)) {
      const type = this.types.all().find((t) => storageKey(t) === dep.resource);
      if (type) out.push({ type, namespace: dep.namespace, name: dep.name });
    }
    return out;
  }

  uidExists(uid: string): boolean {
    return this.storage.uidExists(uid);
  }

  /** Subscribes to every change of a type's storage, without replay (for controllers). */
  onChange(type: ResourceType, listener: (change: StoredChange) => void): () => void {
    return this.storage.subscribe(storageKey(type), listener);
  }

  /** Subscribes to every change of every resource, without replay (for the garbage collector). */
  onAnyChange(listener: (change: StoredChange) => void): () => void {
    return this.storage.subscribeAll(listener);
  }

  /** The object with this uid and its served type, if it exists. */
  getByUid(uid: string): { type: ResourceType; object: KubeObject } | undefined {
    const found = this.storage.getByUid(uid);
    if (!found) return undefined;
    const type = this.typeOfStorage(found.resource, found.object);
    return type ? { type, object: asVersion(type, found.object) } : undefined;
  }

  danglingOwnerUids(): string[] {
    return this.storage.danglingOwnerUids();
  }

  /** One served type per storage key (the first served version), e.g. for namespace cleanup. */
  typesByStorage(): ResourceType[] {
    const seen = new Map<string, ResourceType>();
    for (const t of this.types.all()) if (!seen.has(storageKey(t))) seen.set(storageKey(t), t);
    return [...seen.values()];
  }

  private typeOfStorage(key: string, obj: KubeObject): ResourceType | undefined {
    const version = obj.apiVersion?.split('/').pop();
    const candidates = this.types.all().filter((t) => storageKey(t) === key);
    return candidates.find((t) => t.version === version) ?? candidates[0];
  }

  private serverSideApply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions,
  ): WriteResult & { created: boolean } {
    // A simplified server-side apply: fields in the applied config are merged into the live
    // object (no managedFields ownership or conflict detection yet; README "Limits").
    const stored = this.storage.get(storageKey(type), scopeOf(type, namespace), name);
    if (!stored) {
      const obj = this.checkBody(type, namespace, body);
      obj.metadata.name ??= name;
      return { ...this.create(type, namespace, obj, options), created: true };
    }
    const current = asVersion(type, stored.object);
    const applied = this.checkBody(type, namespace, body);
    delete applied.metadata.resourceVersion;
    const merged = applyMergePatch(current, applied) as KubeObject;
    return { ...this.update(type, namespace, name, merged, options), created: false };
  }

  private deleteNamespace(type: ResourceType, current: KubeObject, options: DeleteOptions): KubeObject {
    const name = current.metadata.name ?? '';
    if ((SYSTEM_NAMESPACES as readonly string[]).includes(name)) {
      throw new ApiError(
        403,
        'Forbidden',
        `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        {
          name,
          kind: 'namespaces',
        },
      );
    }
    if (current.metadata.deletionTimestamp || options.dryRun) return current;
    // The namespace controller empties it, then removes spec.finalizers (namespace-controller.ts).
    const marked = clone(current);
    marked.metadata.deletionTimestamp = kubeTime(this.clock.now());
    marked.metadata.deletionGracePeriodSeconds = 0;
    marked.status = { ...(isPlainObject(marked.status) ? marked.status : {}), phase: 'Terminating' };
    return asVersion(type, this.storage.put(NAMESPACES_KEY, '', name, marked, current).object);
  }

  /** Removes a namespace once the namespace controller has emptied it. */
  finalizeNamespace(name: string): void {
    const stored = this.storage.get(NAMESPACES_KEY, '', name);
    if (!stored?.object.metadata.deletionTimestamp) return;
    this.storage.remove(NAMESPACES_KEY, '', name, stored.object);
  }

  private checkNamespaceOpen(namespace: string): void {
    if (!namespace) throw badRequest('the namespace of the object is required for a namespaced resource');
    const ns = this.storage.get(NAMESPACES_KEY, '', namespace);
    if (!ns) throw notFound('namespaces', '', namespace);
    if (ns.object.metadata.deletionTimestamp) {
      throw new ApiError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        { name: namespace, kind: 'namespaces' },
      );
    }
  }

  /** Checks the request body's shape, kind, apiVersion and namespace; returns a copy to work on. */
  private checkBody(type: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    if (!isPlainObject(body)) throw badRequest(`the body must be a JSON object describing a ${type.kind}`);
    const obj = clone(body) as KubeObject;
    if (obj.metadata === undefined) obj.metadata = {};
    if (!isPlainObject(obj.metadata)) throw badRequest('metadata must be an object');
    const expected = apiVersionOf(type);
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw badRequest(
        `the kind in the body (${String(obj.kind)}) does not match the kind of the URL (${type.kind})`,
      );
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    obj.apiVersion = expected;
    obj.kind = type.kind;
    if (type.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace;
    } else {
      delete obj.metadata.namespace;
    }
    return obj;
  }

  /** Validates and (for schema'd kinds) prunes unknown fields; returns warnings. */
  private validate(type: ResourceType, obj: KubeObject, fieldValidation: FieldValidation): string[] {
    const name = obj.metadata.name ?? '';
    const causes: StatusCause[] = [];
    const warnings: string[] = [];
    if (!name) {
      causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required' });
    }
    if (type.crdName === undefined) {
      causes.push(...validateBuiltin(type, obj));
    } else {
      if (name) causes.push(...validateObjectName(name, 'subdomain'));
      if (type.schema) {
        const result = validateAgainstSchema(obj, type.schema, { strict: fieldValidation === 'Strict' });
        causes.push(...result.causes);
        if (result.unknownFields.length > 0 && fieldValidation === 'Strict') {
          throw badRequest(
            `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${result.unknownFields
              .map((f) => `unknown field "${f}"`)
              .join(', ')}`,
          );
        }
        if (fieldValidation === 'Warn')
          warnings.push(...result.unknownFields.map((f) => `unknown field "${f}"`));
        const pruned = pruneUnknownFields(obj, type.schema);
        for (const key of Object.keys(obj)) if (!(key in pruned)) delete obj[key];
        Object.assign(obj, pruned);
      }
    }
    if (causes.length > 0) throw invalid(type.kind, type.group, name, causes);
    return warnings;
  }

  private matcher(type: ResourceType, labelText?: string, fieldText?: string): (obj: KubeObject) => boolean {
    const labels: LabelSelector | undefined = labelText ? parseLabelSelector(labelText) : undefined;
    const fields: FieldSelector | undefined = fieldText ? parseFieldSelector(fieldText) : undefined;
    if (fields) {
      const allowed = new Set(['metadata.name', 'metadata.namespace', ...type.fieldSelectors]);
      for (const path of fieldPaths(fields)) {
        if (!allowed.has(path)) throw badRequest(`field label not supported: ${path}`);
      }
    }
    return (obj) =>
      (labels === undefined || matchesLabels(labels, obj.metadata.labels)) &&
      (fields === undefined || matchesFields(fields, (path) => fieldValue(obj, path)));
  }

  private decodeContinue(token: string): { rv: number; namespace: string; name: string } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      throw badRequest('invalid continue token: not base64-encoded JSON');
    }
    if (
      !isPlainObject(parsed) ||
      typeof parsed.rv !== 'number' ||
      typeof parsed.ns !== 'string' ||
      typeof parsed.name !== 'string'
    ) {
      throw badRequest('invalid continue token');
    }
    if (parsed.rv < this.storage.oldestResumableRv()) {
      throw gone(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    return { rv: parsed.rv, namespace: parsed.ns, name: parsed.name };
  }

  private prepareCrd(crd: KubeObject): void {
    const causes = validateCrd(crd);
    if (causes.length > 0)
      throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', crd.metadata.name ?? '', causes);
    // The apiextensions controllers accept the names and establish the CRD at once here.
    const spec = isPlainObject(crd.spec) ? crd.spec : {};
    const now = kubeTime(this.clock.now());
    crd.status = {
      acceptedNames: spec.names,
      storedVersions: (Array.isArray(spec.versions) ? spec.versions : [])
        .filter((v) => isPlainObject(v) && v.storage === true)
        .map((v) => (v as { name: string }).name),
      conditions: [
        {
          type: 'NamesAccepted',
          status: 'True',
          reason: 'NoConflicts',
          message: 'no conflicts found',
          lastTransitionTime: now,
        },
        {
          type: 'Established',
          status: 'True',
          reason: 'InitialNamesAccepted',
          message: 'the initial names have been accepted',
          lastTransitionTime: now,
        },
      ],
    };
  }

  private registerCrd(crd: KubeObject): void {
    try {
      this.types.setCrdTypes(crd.metadata.name ?? '', resourceTypesFromCrd(crd));
    } catch (err) {
      this.logger.warn('stored CRD cannot be served', { crd: crd.metadata.name, err });
    }
  }

  /** A deleted CRD takes its custom objects with it (apiextensions' customresourcecleanup). */
  private unregisterCrd(crd: KubeObject): void {
    const types = resourceTypesFromCrd(crd);
    const first = types[0];
    if (first) {
      const key = storageKey(first);
      for (const { object } of [...this.storage.list(key, undefined)]) {
        this.storage.remove(key, object.metadata.namespace ?? '', object.metadata.name ?? '', object);
      }
    }
    this.types.removeCrd(crd.metadata.name ?? '');
  }
}

function isCrdType(type: ResourceType): boolean {
  return type.group === 'apiextensions.k8s.io' && type.plural === 'customresourcedefinitions';
}

function scopeOf(type: ResourceType, namespace: string | undefined): string {
  return type.namespaced ? (namespace ?? '') : '';
}

/** The object as the requested version serves it (custom resources convert with strategy None). */
function asVersion(type: ResourceType, obj: KubeObject): KubeObject {
  const apiVersion = apiVersionOf(type);
  if (obj.apiVersion === apiVersion && obj.kind === type.kind) return obj;
  return { ...obj, apiVersion, kind: type.kind };
}

function asVersionOf(types: ResourceTypes, key: string, obj: KubeObject): KubeObject {
  const version = obj.apiVersion?.split('/').pop();
  const type = types.all().find((t) => storageKey(t) === key && t.version === version);
  return type ? asVersion(type, obj) : obj;
}

/** Resets fields a client may not set on create (kube's PrepareForCreate strategies). */
function prepareForCreate(type: ResourceType, obj: KubeObject): void {
  const key = storageKey(type);
  if (key === NAMESPACES_KEY) {
    obj.spec = { finalizers: ['kubernetes'] };
    obj.status = { phase: 'Active' };
    return;
  }
  if (key === '/pods') {
    obj.status = { phase: 'Pending' };
    return;
  }
  // apps/v1 defaulting: a Deployment without replicas runs one (SetDefaults_Deployment).
  if (key === 'apps/deployments' && isPlainObject(obj.spec) && obj.spec.replicas === undefined) {
    obj.spec.replicas = 1;
  }
  // Kinds with a status subresource start with an empty status; nodes keep theirs (the kubelet
  // registers a node with its status).
  if (type.statusSubresource && key !== '/nodes' && !isCrdType(type)) delete obj.status;
}

/** Whether anything but metadata (and status, when it is a subresource) changed. */
function specChanged(type: ResourceType, a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): Record<string, unknown> => {
    const { metadata: _m, status, ...rest } = o;
    return type.statusSubresource ? rest : { ...rest, status };
  };
  return !jsonEqual(strip(a), strip(b));
}

function stripVolatile(obj: KubeObject): KubeObject {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

function parseResourceVersion(text: string): number {
  if (!/^\d+$/.test(text)) throw badRequest(`invalid resource version: ${JSON.stringify(text)}`);
  return Number(text);
}

function encodeContinue(rv: number, namespace: string, name: string): string {
  return Buffer.from(JSON.stringify({ rv, ns: namespace, name }), 'utf8').toString('base64url');
}

/** generateName suffixes use kube's alphabet without vowels or confusable characters (apiserver names.go). */
function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 5; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** The autoscaling/v1 Scale view of an object (apiextensions' scale subresource rules). */
function scaleObject(scale: NonNullable<ResourceType['scale']>, obj: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  const selector = scale.labelSelectorPath ? getPath(obj, scale.labelSelectorPath) : undefined;
  const selectorText =
    typeof selector === 'string'
      ? selector
      : isPlainObject(selector)
        ? formatLabelSelector(selector)
        : undefined;
  const specReplicas = getPath(obj, scale.specReplicasPath);
  const statusReplicas = getPath(obj, scale.statusReplicasPath);
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status: {
      replicas: typeof statusReplicas === 'number' ? statusReplicas : 0,
      ...(selectorText ? { selector: selectorText } : {}),
    },
  };
}
