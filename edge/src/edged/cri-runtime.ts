/**
 * Runtime `cri`: containerd over the Container Runtime Interface, as KubeEdge's edged uses it
 * (kubeedge-protocol.md §6: `unix:///run/containerd/containerd.sock`, sandbox `kubeedge/pause:3.6`).
 * This version of edgeproof does not speak CRI, so the runtime refuses to start, loudly, at boot
 * (ARCHITECTURE.md §4: check declared dependencies at boot and fail loudly), and never pretends to
 * run a pod.
 */
import { RuntimeUnavailableError, type KillPodOptions, type PodRuntime, type RuntimePod } from './runtime.ts';
import type { Pod } from './pod-types.ts';

/** KubeEdge's default CRI endpoint (§6). */
export const DEFAULT_CRI_ENDPOINT = 'unix:///run/containerd/containerd.sock';

export class CriRuntime implements PodRuntime {
  readonly kind = 'cri';

  start(): Promise<string[]> {
    return Promise.reject(unavailable());
  }

  syncPod(_pod: Pod): Promise<void> {
    return Promise.reject(unavailable());
  }

  /** Nothing ever ran, so there is nothing to kill. */
  killPod(_uid: string, _options?: KillPodOptions): Promise<void> {
    return Promise.resolve();
  }

  listPods(): RuntimePod[] {
    return [];
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

function unavailable(): RuntimeUnavailableError {
  return new RuntimeUnavailableError(
    `runtime "cri" (containerd over CRI at ${DEFAULT_CRI_ENDPOINT}) is not available in this version of edgeproof on this machine; ` +
      'run edgecore with --runtime process (containers as host processes) or --runtime hollow (simulated pods, for scale tests)',
  );
}
