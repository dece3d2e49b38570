/**
 * The downward API's `fieldRef` (core/v1 ObjectFieldSelector), shared by env vars and downwardAPI
 * volume files: kubelet `podFieldSelectorRuntimeValue` for what only the node knows (node name, IPs),
 * and apimachinery `fieldpath.ExtractFieldPathAsString` for the pod's own metadata.
 */
import { ContainerConfigError } from './runtime.ts';
import type { Pod } from './pod-types.ts';

/** What the node knows about a pod that its object may not say yet. */
export interface FieldContext {
  nodeName: string;
  podIP: string;
  hostIP: string;
}

/** The value of `fieldPath` for this pod; an unsupported path is a CreateContainerConfigError. */
export function fieldRefValue(pod: Pod, fieldPath: string, ctx: FieldContext): string {
  const meta = pod.metadata;
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? 'default';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return pod.spec.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    // With no pod network every pod shares the node's address, like a hostNetwork pod.
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
  }
  const subscript = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (subscript) {
    const map = subscript[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[subscript[2] ?? ''] ?? '';
  }
  throw new ContainerConfigError(`unsupported fieldRef fieldPath "${fieldPath}"`);
}

/** apimachinery `fieldpath.FormatMap`: sorted `key="value"` lines. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map?.[k] ?? '')}`)
    .join('\n');
}
