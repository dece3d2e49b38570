/**
 * What the process runtime will run for one container, worked out from the pod spec before anything
 * starts, so a spec that cannot run is a clear CreateContainerConfigError and never half a start:
 *
 * - argv: `command` then `args`, `$(VAR)`-expanded. Kubernetes semantics: `command` replaces the
 *   image's entrypoint, `args` its cmd. No image is pulled, so with no `command` there is nothing to
 *   run.
 * - env: a base (host PATH, HOSTNAME = the pod name), then one `EDGEPROOF_MOUNT_<VOLUME>` per
 *   mount, then the spec's `envFrom` and `env` (env.ts). Edgecore's own environment is not passed on.
 * - cwd: `workingDir`, else the pod folder.
 * - mounts and probes, checked.
 */
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { ConfigResolver } from './config-source.ts';
import { containerArgv, containerEnv } from './env.ts';
import type { FieldContext } from './field-ref.ts';
import { parseProbe, type ProbeKind, type ProbeSpec } from './prober.ts';
import { ContainerConfigError } from './runtime.ts';
import { volumeHostPath } from './volumes.ts';
import type { Container, Pod } from './pod-types.ts';

export interface ContainerPlan {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  mounts: { mountPath: string; hostPath: string }[];
  probes: Partial<Record<ProbeKind, ProbeSpec>>;
}

const PROBE_FIELDS = [
  ['liveness', 'livenessProbe'],
  ['readiness', 'readinessProbe'],
  ['startup', 'startupProbe'],
] as const;

export interface PlanContext {
  podDir: string;
  baseEnv: Record<string, string>;
  resolveConfig: ConfigResolver;
  fields: FieldContext;
}

/** The env var through which a process finds a mounted volume: `EDGEPROOF_MOUNT_` + the volume name, upper-cased, `-` → `_`. */
export function mountEnvName(volumeName: string): string {
  return `EDGEPROOF_MOUNT_${volumeName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export function planContainer(pod: Pod, container: Container, ctx: PlanContext): ContainerPlan {
  const where = `container "${container.name}"`;
  const { command, args } = container;
  if (!Array.isArray(command) || command.length === 0) {
    throw new ContainerConfigError(
      `${where} has no command: the process runtime runs command and args as a host process and cannot use the entrypoint of image "${container.image ?? ''}", which is never pulled; set spec.containers[].command`,
    );
  }
  if (![...command, ...(args ?? [])].every((w) => typeof w === 'string')) {
    throw new ContainerConfigError(`${where}: command and args must be lists of strings`);
  }

  const base = new Map(Object.entries(ctx.baseEnv));
  base.set('HOSTNAME', pod.metadata.name ?? '');
  const mounts: ContainerPlan['mounts'] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.spec.volumes?.find((v) => v.name === mount.name);
    if (!volume) throw new ContainerConfigError(`cannot find volume "${mount.name}" to mount into ${where}`);
    const sub = mount.subPath ?? '';
    if (isAbsolute(sub) || normalize(sub).split(sep).includes('..')) {
      throw new ContainerConfigError(`${where}: subPath "${sub}" must be relative and must not contain ".."`);
    }
    const hostPath = join(volumeHostPath(ctx.podDir, volume), sub);
    mounts.push({ mountPath: mount.mountPath, hostPath });
    // A volume mounted twice (with different subPaths) is found through its first mount.
    const name = mountEnvName(mount.name);
    if (!base.has(name)) base.set(name, hostPath);
  }

  const envMap = containerEnv(pod, container, {
    resolveConfig: ctx.resolveConfig,
    fields: ctx.fields,
    base,
  });
  const env = Object.fromEntries(envMap);
  const workingDir = container.workingDir;
  if (workingDir !== undefined && workingDir !== '' && !isAbsolute(workingDir)) {
    throw new ContainerConfigError(`${where}: workingDir "${workingDir}" must be an absolute path`);
  }
  const cwd = workingDir || ctx.podDir;
  const probes: ContainerPlan['probes'] = {};
  const probeCtx = { host: ctx.fields.podIP, env, cwd };
  for (const [kind, field] of PROBE_FIELDS) {
    const probe = container[field];
    if (probe) probes[kind] = parseProbe(kind, probe, container, probeCtx);
  }
  return { argv: containerArgv(container, envMap), env, cwd, mounts, probes };
}
