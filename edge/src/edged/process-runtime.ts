/**
 * Runtime `process`, the bench default: every container is a supervised host process. No image is
 * pulled (its name is only reported), there are no namespaces and no cgroups, so what Kubernetes
 * isolates is shared here, by these rules:
 *
 * - What runs: the container's `command` + `args` (Kubernetes semantics: `command` replaces the
 *   image's entrypoint). With no `command` there is nothing to run: the container waits with reason
 *   CreateContainerConfigError and says so.
 * - Network: the host's, as for a hostNetwork pod: podIP is the node's IP, probes dial it.
 * - Environment: host PATH, HOSTNAME = pod name, the volume mount variables, then the spec's `env`
 *   and `envFrom` with `$(VAR)` expansion. Edgecore's own environment is not passed on.
 * - Volumes are folders under `<rootDir>/pods/<uid>/volumes/<name>` (hostPath: the host path
 *   itself). A mount cannot appear at its `mountPath` without a mount namespace, so:
 *   1. every mount is exported as `EDGEPROOF_MOUNT_<VOLUME>` (the volume name upper-cased, `-` → `_`)
 *      holding the host path of the mount (with its subPath), usable in command and args as
 *      `$(EDGEPROOF_MOUNT_<VOLUME>)`;
 *   2. a symlink is made at the `mountPath` only when that path lies inside the pod folder, the
 *      only place the runtime owns. A `mountPath` such as `/etc/config` is never created on the
 *      host: the process finds the volume through rule 1.
 * - Working folder: `workingDir` (it must exist on the host), else the pod folder.
 * - Logs: stdout and stderr appended to `<rootDir>/pods/<uid>/logs/<container>.log`, across restarts.
 * - Restarts, back-off, probes, grace periods: process-pod.ts, as kubelet does them.
 * - Re-adoption: each pod keeps `<rootDir>/pods/<uid>/state.json` (pod-state-file.ts). `start()`
 *   reads them all: a recorded process still alive with the same /proc start time is adopted;
 *   one that died is restarted per restart policy, its exit code reported unknown.
 * - Resources, securityContext, init containers, lifecycle hooks, service links: not supported.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, type TimerHandle } from '@edgeproof/core';
import type { ConfigResolver } from './config-source.ts';
import type { CrashBackoffOptions } from './crash-backoff.ts';
import { listPodDirs, readPodRecord } from './pod-state-file.ts';
import { ProcessPod, type ProcessPodDeps } from './process-pod.ts';
import {
  validatePod,
  type KillPodOptions,
  type PodRuntime,
  type RuntimeOptions,
  type RuntimePod,
} from './runtime.ts';
import type { Pod } from './pod-types.ts';

/** kubelet `syncFrequency`, the period of its full pod sync (kubeedge-protocol.md §6: 1 min). */
export const DEFAULT_RESYNC_INTERVAL_MS = 60_000;
/** How often an adopted process is looked for in /proc. */
export const DEFAULT_POLL_INTERVAL_MS = 1000;
/** How many deleted pod uids are remembered, so a late sync cannot start a deleted pod again. */
const REMEMBERED_DELETIONS = 10_000;

export interface ProcessRuntimeOptions extends RuntimeOptions {
  /** Holds `pods/<uid>/…`; kubelet's root dir is /var/lib/kubelet (§6). */
  rootDir: string;
  /** ConfigMaps and Secrets, from the edge's store. */
  resolveConfig: ConfigResolver;
  /** The environment every container starts from; default the host's PATH only. */
  baseEnv?: Record<string, string>;
  crashBackoff?: CrashBackoffOptions;
  pollIntervalMs?: number;
  resyncIntervalMs?: number;
}

export class ProcessRuntime implements PodRuntime {
  readonly kind = 'process';
  private readonly options: ProcessRuntimeOptions;
  private readonly deps: ProcessPodDeps;
  private readonly pods = new Map<string, ProcessPod>();
  private readonly deleted = new Set<string>();
  private resyncTimer: TimerHandle | undefined;

  /** No I/O: `start()` reads the pod folders. */
  constructor(options: ProcessRuntimeOptions) {
    this.options = options;
    const nodeIP = options.nodeIP ?? '127.0.0.1';
    this.deps = {
      clock: options.clock,
      logger: options.logger,
      podsDir: join(options.rootDir, 'pods'),
      fields: { nodeName: options.nodeName, hostIP: nodeIP, podIP: nodeIP },
      resolveConfig: options.resolveConfig,
      baseEnv: options.baseEnv ?? { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin' },
      crashBackoff: options.crashBackoff ?? {},
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      onStatus: options.onStatus ?? (() => {}),
      onEvent: options.onEvent ?? (() => {}),
    };
  }

  async start(): Promise<string[]> {
    const adopted: string[] = [];
    for (const uid of await listPodDirs(this.options.rootDir)) {
      if (this.pods.has(uid)) continue;
      const dir = join(this.deps.podsDir, uid);
      try {
        const record = await readPodRecord(dir);
        if (!record) {
          // A folder with no record holds no process the runtime started: a leftover of a removal.
          await rm(dir, { recursive: true, force: true });
          continue;
        }
        const pod = new ProcessPod(record.pod, this.deps);
        this.pods.set(pod.uid, pod);
        await pod.adopt(record);
        adopted.push(pod.uid);
      } catch (err) {
        this.options.logger.error('cannot adopt a pod; its processes, if any, are not supervised', {
          dir,
          err: errorMessage(err),
        });
      }
    }
    this.resyncTimer ??= this.options.clock.setInterval(() => {
      for (const pod of this.pods.values()) pod.resync();
    }, this.options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS);
    return adopted;
  }

  async syncPod(pod: Pod): Promise<void> {
    const { uid } = validatePod(pod);
    // kubelet never starts a pod uid again once it was terminated and removed.
    if (this.deleted.has(uid)) return;
    let running = this.pods.get(uid);
    if (!running) {
      running = new ProcessPod(pod, this.deps);
      this.pods.set(uid, running);
    }
    await running.sync(pod);
  }

  async killPod(uid: string, options: KillPodOptions = {}): Promise<void> {
    const pod = this.pods.get(uid);
    if (!pod) return;
    this.remember(uid);
    try {
      await pod.remove(options.gracePeriodSeconds);
    } finally {
      this.pods.delete(uid);
    }
  }

  listPods(): RuntimePod[] {
    return [...this.pods.values()].map((p) => ({
      uid: p.uid,
      namespace: p.namespace,
      name: p.name,
      status: p.status,
    }));
  }

  /** Waits for kills in progress, then leaves every pod running for the next instance to adopt. */
  async stop(): Promise<void> {
    this.resyncTimer?.cancel();
    this.resyncTimer = undefined;
    await Promise.all([...this.pods.values()].map((p) => p.detach()));
    this.pods.clear();
  }

  private remember(uid: string): void {
    this.deleted.add(uid);
    if (this.deleted.size > REMEMBERED_DELETIONS) {
      const oldest = this.deleted.values().next().value;
      if (oldest !== undefined) this.deleted.delete(oldest);
    }
  }
}
