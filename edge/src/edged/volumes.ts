/**
 * Pod volumes on the host file system, under `<podDir>/volumes/<name>`, as kubelet's volume plugins
 * set them up (pkg/volume/configmap, secret, projected, downwardapi, emptydir, hostpath):
 *
 * - configMap / secret: every key, or the listed `items`, written as files with `defaultMode`
 *   (default 0644, core/v1 `ConfigMapVolumeSourceDefaultMode`), an item's `mode` winning. A missing
 *   object or key fails the set-up unless `optional` (configmap.go `MakePayload`). Secret data is
 *   base64 in the object and written decoded.
 * - projected: configMap, secret and downwardAPI sources merged into one folder. A
 *   serviceAccountToken source is skipped with a warning: the edge has no token to give.
 * - downwardAPI: `fieldRef` items written as files.
 * - emptyDir: a folder that lives as long as the pod (`medium: Memory` is a plain folder too: no tmpfs).
 * - hostPath: the host path itself, checked against `type` as kubelet's hostPathTypeChecker does.
 *
 * Files are written once, when the pod first starts; kubelet's periodic refresh of ConfigMap and
 * Secret volumes is not done. A failure is kubelet's `MountVolume.SetUp failed for volume "x" : …`:
 * the containers wait in `ContainerCreating` with a `FailedMount` event, and set-up is retried.
 */
import type { Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { errorMessage } from '@edgeproof/core';
import { requireConfigData, type ConfigKind, type ConfigResolver } from './config-source.ts';
import { fieldRefValue, type FieldContext } from './field-ref.ts';
import { ContainerConfigError } from './runtime.ts';
import type { DownwardAPIVolumeFile, KeyToPath, Pod, Volume } from './pod-types.ts';

/** core/v1 `ConfigMapVolumeSourceDefaultMode`, `SecretVolumeSourceDefaultMode`, projected and downwardAPI alike. */
export const DEFAULT_VOLUME_FILE_MODE = 0o644;

const SUPPORTED_TYPES = ['configMap', 'secret', 'emptyDir', 'hostPath', 'projected', 'downwardAPI'] as const;

/** Where a volume lives on the host: a hostPath's own path, else `<podDir>/volumes/<name>`. */
export function volumeHostPath(podDir: string, volume: Volume): string {
  return volume.hostPath ? volume.hostPath.path : join(podDir, 'volumes', volume.name);
}

/**
 * Refuses a volume this runtime cannot set up at all (a type it does not know): that is a spec
 * error (CreateContainerConfigError), not a set-up failure worth retrying.
 */
export function checkVolumeTypes(pod: Pod): void {
  for (const volume of pod.spec.volumes ?? []) {
    const types = SUPPORTED_TYPES.filter((t) => volume[t] !== undefined);
    if (types.length === 1) continue;
    const given = Object.keys(volume).filter((k) => k !== 'name');
    throw new ContainerConfigError(
      types.length === 0
        ? `volume "${volume.name}" has type ${given.join(', ') || '(none)'}, which the process runtime cannot set up; it supports ${SUPPORTED_TYPES.join(', ')}`
        : `volume "${volume.name}" sets more than one type (${types.join(', ')})`,
    );
  }
}

export interface VolumeContext {
  podDir: string;
  resolveConfig: ConfigResolver;
  fields: FieldContext;
  /** A part of a volume that could not be provided, while the rest was (a serviceAccountToken). */
  onWarning: (message: string) => void;
}

/** Sets up every volume of the pod; a failure is a ContainerConfigError in kubelet's FailedMount form. */
export async function setUpVolumes(pod: Pod, ctx: VolumeContext): Promise<void> {
  checkVolumeTypes(pod);
  for (const volume of pod.spec.volumes ?? []) {
    try {
      await setUpVolume(pod, volume, ctx);
    } catch (err) {
      throw new ContainerConfigError(
        `MountVolume.SetUp failed for volume "${volume.name}" : ${errorMessage(err)}`,
        { reason: 'ContainerCreating', eventReason: 'FailedMount', cause: err },
      );
    }
  }
}

/** One file of a volume: its relative path, bytes and mode. */
type Payload = Map<string, { data: Buffer; mode: number }>;

async function setUpVolume(pod: Pod, volume: Volume, ctx: VolumeContext): Promise<void> {
  const dir = volumeHostPath(ctx.podDir, volume);
  const namespace = pod.metadata.namespace ?? 'default';
  const keyed = (
    kind: ConfigKind,
    name: string,
    items: KeyToPath[] | undefined,
    mode: number,
    optional: boolean | undefined,
  ): Payload =>
    keyPayload(
      kind,
      requireConfigData(ctx.resolveConfig, kind, namespace, name, optional),
      items,
      mode,
      optional,
    );

  if (volume.emptyDir) {
    await mkdir(dir, { recursive: true });
  } else if (volume.hostPath) {
    await checkHostPath(volume.hostPath.path, volume.hostPath.type ?? '');
  } else if (volume.configMap) {
    const s = volume.configMap;
    await writePayload(
      dir,
      keyed('configmap', s.name, s.items, s.defaultMode ?? DEFAULT_VOLUME_FILE_MODE, s.optional),
    );
  } else if (volume.secret) {
    const s = volume.secret;
    await writePayload(
      dir,
      keyed('secret', s.secretName, s.items, s.defaultMode ?? DEFAULT_VOLUME_FILE_MODE, s.optional),
    );
  } else if (volume.downwardAPI) {
    const mode = volume.downwardAPI.defaultMode ?? DEFAULT_VOLUME_FILE_MODE;
    await writePayload(dir, downwardPayload(pod, volume.downwardAPI.items ?? [], mode, ctx.fields));
  } else if (volume.projected) {
    const mode = volume.projected.defaultMode ?? DEFAULT_VOLUME_FILE_MODE;
    const payload: Payload = new Map();
    for (const source of volume.projected.sources ?? []) {
      let part: Payload;
      if (source.configMap) {
        const s = source.configMap;
        part = keyed('configmap', s.name, s.items, mode, s.optional);
      } else if (source.secret) {
        const s = source.secret;
        part = keyed('secret', s.name, s.items, mode, s.optional);
      } else if (source.downwardAPI) {
        part = downwardPayload(pod, source.downwardAPI.items ?? [], mode, ctx.fields);
      } else if (source.serviceAccountToken) {
        ctx.onWarning(
          `volume "${volume.name}": serviceAccountToken ${source.serviceAccountToken.path} is not written; the edge has no service account token to project`,
        );
        continue;
      } else {
        throw new Error(`projected source ${Object.keys(source).join(', ')} is not supported`);
      }
      for (const [path, file] of part) payload.set(path, file);
    }
    await writePayload(dir, payload);
  }
}

/** configmap.go / secret.go `MakePayload`. */
function keyPayload(
  kind: ConfigKind,
  data: Map<string, Buffer> | undefined,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean | undefined,
): Payload {
  const payload: Payload = new Map();
  if (data === undefined) return payload;
  if (!items || items.length === 0) {
    for (const [key, bytes] of data) payload.set(key, { data: bytes, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const bytes = data.get(item.key);
    if (bytes === undefined) {
      if (optional === true) continue;
      throw new Error(
        `${kind} references non-existent ${kind === 'secret' ? 'secret' : 'config'} key: ${item.key}`,
      );
    }
    payload.set(item.path, { data: bytes, mode: item.mode ?? defaultMode });
  }
  return payload;
}

function downwardPayload(
  pod: Pod,
  items: DownwardAPIVolumeFile[],
  defaultMode: number,
  fields: FieldContext,
): Payload {
  const payload: Payload = new Map();
  for (const item of items) {
    if (!item.fieldRef) throw new Error(`downwardAPI item ${item.path}: only fieldRef is supported`);
    const value = fieldRefValue(pod, item.fieldRef.fieldPath, fields);
    payload.set(item.path, { data: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode });
  }
  return payload;
}

/** Replaces the folder's content with the payload; paths must stay inside it (core/v1 validation: relative, no `..`). */
async function writePayload(dir: string, payload: Payload): Promise<void> {
  for (const path of payload.keys()) {
    if (path === '' || isAbsolute(path) || normalize(path).split(sep).includes('..')) {
      throw new Error(`file path "${path}" must be relative and must not contain ".."`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [path, file] of payload) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.data);
    // chmod after writing: the mode given at creation is narrowed by the umask.
    await chmod(target, file.mode & 0o777);
  }
}

/** kubelet's hostPathTypeChecker: what each HostPathType requires, and what the `…OrCreate` types make. */
const HOST_PATH_TYPES: Record<
  string,
  { what: string; is: (s: Stats) => boolean; create?: (path: string) => Promise<void> }
> = {
  DirectoryOrCreate: {
    what: 'directory',
    is: (s) => s.isDirectory(),
    create: async (path) => void (await mkdir(path, { recursive: true, mode: 0o755 })),
  },
  Directory: { what: 'directory', is: (s) => s.isDirectory() },
  FileOrCreate: {
    what: 'file',
    is: (s) => s.isFile(),
    create: async (path) => (await open(path, 'a', 0o644)).close(),
  },
  File: { what: 'file', is: (s) => s.isFile() },
  Socket: { what: 'socket file', is: (s) => s.isSocket() },
  CharDevice: { what: 'character device', is: (s) => s.isCharacterDevice() },
  BlockDevice: { what: 'block device', is: (s) => s.isBlockDevice() },
};

/** Checks a hostPath against its `type` (empty: no check), creating it for the `…OrCreate` types. */
async function checkHostPath(path: string, type: string): Promise<void> {
  if (type === '') return;
  const check = HOST_PATH_TYPES[type];
  if (!check) throw new Error(`hostPath type "${type}" is not one of Kubernetes' HostPathType values`);
  const info = await stat(path).catch(() => undefined);
  if (!info && check.create) return check.create(path);
  if (!info || !check.is(info)) throw new Error(`hostPath type check failed: ${path} is not a ${check.what}`);
}

/**
 * Makes a mount visible at its `mountPath` when that path lies inside the pod folder (the only place
 * the runtime owns), as a symlink to the volume; a path that exists already is left alone. Paths
 * elsewhere on the host are never touched: see process-runtime.ts.
 */
export async function linkMount(podDir: string, mountPath: string, hostPath: string): Promise<void> {
  const inside = relative(resolve(podDir), resolve(mountPath));
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return;
  if (await lstat(mountPath).catch(() => undefined)) return;
  await mkdir(dirname(mountPath), { recursive: true });
  await symlink(hostPath, mountPath);
}
