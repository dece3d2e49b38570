/** EdgeController: upstream node messages (§4.2) and the node lifecycle of the embedded control plane. */
export {
  AGENT_NODE_ROLE_LABEL,
  CLOUDCORE_ANNOTATION,
  EDGE_NODE_ROLE_LABEL,
  NODE_LEASE_NAMESPACE,
  UpstreamController,
  type ObjectResp,
  type UpstreamControllerOptions,
} from './upstream.ts';
export {
  DEFAULT_NODE_GRACE_PERIOD_MS,
  DEFAULT_NODE_MONITOR_PERIOD_MS,
  NODE_STATUS_UNKNOWN_MESSAGE,
  NODE_STATUS_UNKNOWN_REASON,
  NodeLifecycleController,
  type NodeLifecycleControllerOptions,
} from './node-lifecycle.ts';
export {
  DownstreamController,
  type DownstreamControllerOptions,
  type DownstreamSession,
} from './downstream.ts';
export {
  DOWNSTREAM_RESOURCE_TYPES,
  podReferences,
  type DownstreamKind,
  type PodReferences,
} from './downstream-desired.ts';
