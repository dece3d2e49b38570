/**
 * The Table columns of each served kind, after kube's `pkg/printers/internalversion/printers.go`
 * (what `kubectl get` prints against kube-apiserver): NAME and AGE for every kind; pods add READY,
 * STATUS, RESTARTS (and IP, NODE with `-o wide`); nodes STATUS, ROLES, VERSION; configmaps DATA;
 * secrets TYPE and DATA. `priority: 1` columns show only with `-o wide` (kubectl-contract.md §2).
 */
import { ageOf } from './age.ts';
import type { ServedResource } from './resources.ts';

/** One column: its definition and how to compute its cell at time `now`. */
export interface Column {
  name: string;
  type: 'string' | 'integer';
  format?: 'name';
  description: string;
  priority?: number;
  cell: (object: Record<string, unknown>, now: number) => unknown;
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(record) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (o) => str(record(o['metadata'])['name']),
};

const AGE: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o, now) => ageOf(record(o['metadata'])['creationTimestamp'], now),
};

const dataCount: Column = {
  name: 'Data',
  type: 'integer',
  description: 'The number of keys in data (and binaryData).',
  cell: (o) => Object.keys(record(o['data'])).length + Object.keys(record(o['binaryData'])).length,
};

const POD_COLUMNS: Column[] = [
  NAME,
  {
    name: 'Ready',
    type: 'string',
    description: 'The number of containers that are ready, out of all containers.',
    cell: (o) => podSummary(o).ready,
  },
  {
    name: 'Status',
    type: 'string',
    description: 'The aggregate status of the containers in this pod.',
    cell: (o) => podSummary(o).status,
  },
  {
    name: 'Restarts',
    type: 'string',
    description: 'The number of times the containers in this pod have been restarted.',
    cell: (o) => String(podSummary(o).restarts),
  },
  AGE,
  {
    name: 'IP',
    type: 'string',
    description: 'The IP address assigned to the pod.',
    priority: 1,
    cell: (o) => str(record(o['status'])['podIP']) || '<none>',
  },
  {
    name: 'Node',
    type: 'string',
    description: 'The node the pod is bound to.',
    priority: 1,
    cell: (o) => str(record(o['spec'])['nodeName']) || '<none>',
  },
];

const NODE_COLUMNS: Column[] = [
  NAME,
  {
    name: 'Status',
    type: 'string',
    description: 'The status of the node: its Ready condition, and SchedulingDisabled when cordoned.',
    cell: nodeStatus,
  },
  {
    name: 'Roles',
    type: 'string',
    description: 'The roles of the node, from its node-role.kubernetes.io/<role> labels.',
    cell: nodeRoles,
  },
  AGE,
  {
    name: 'Version',
    type: 'string',
    description: 'The kubelet version the node reports.',
    cell: (o) => str(record(record(o['status'])['nodeInfo'])['kubeletVersion']),
  },
];

const BY_KIND: Record<string, Column[]> = {
  '/pods': POD_COLUMNS,
  '/nodes': NODE_COLUMNS,
  '/configmaps': [NAME, dataCount, AGE],
  '/secrets': [
    NAME,
    { name: 'Type', type: 'string', description: 'The type of the secret.', cell: (o) => str(o['type']) },
    dataCount,
    AGE,
  ],
};

/** The columns for `resource`: its own, or NAME and AGE. */
export function columnsFor(resource: ServedResource): Column[] {
  return BY_KIND[`${resource.group}/${resource.plural}`] ?? [NAME, AGE];
}

/**
 * READY, STATUS and RESTARTS as printers.go printPod computes them, simplified: init containers
 * show `Init:<reason>` or `Init:<done>/<total>`; then the first container with a waiting or
 * terminated reason names the status; `Terminating` once deletionTimestamp is set.
 */
export function podSummary(pod: Record<string, unknown>): {
  ready: string;
  status: string;
  restarts: number;
} {
  const spec = record(pod['spec']);
  const status = record(pod['status']);
  const containers = list(spec['containers']);
  const statuses = list(status['containerStatuses']);
  const initStatuses = list(status['initContainerStatuses']);
  let reason = str(status['reason']) || str(status['phase']) || 'Pending';
  let restarts = 0;
  let initializing = false;
  initStatuses.forEach((cs, i) => {
    restarts += Number(cs['restartCount']) || 0;
    if (initializing) return;
    const state = record(cs['state']);
    const terminated = record(state['terminated']);
    const waiting = record(state['waiting']);
    if (state['terminated'] !== undefined && terminated['exitCode'] === 0) return;
    initializing = true;
    if (state['terminated'] !== undefined) reason = `Init:${str(terminated['reason']) || 'Error'}`;
    else if (str(waiting['reason']) !== '' && waiting['reason'] !== 'PodInitializing')
      reason = `Init:${str(waiting['reason'])}`;
    else reason = `Init:${i}/${initStatuses.length}`;
  });
  let ready = 0;
  // Reverse order, so the first container with a reason has the last word, as in printPod.
  for (const cs of [...statuses].reverse()) {
    restarts += Number(cs['restartCount']) || 0;
    if (cs['ready'] === true) ready++;
    if (initializing) continue;
    const state = record(cs['state']);
    const waiting = str(record(state['waiting'])['reason']);
    const terminated = record(state['terminated']);
    if (waiting !== '') reason = waiting;
    else if (str(terminated['reason']) !== '') reason = str(terminated['reason']);
    else if (state['terminated'] !== undefined) reason = `ExitCode:${Number(terminated['exitCode']) || 0}`;
  }
  if (str(record(pod['metadata'])['deletionTimestamp']) !== '') {
    reason = status['reason'] === 'NodeLost' ? 'Unknown' : 'Terminating';
  }
  return { ready: `${ready}/${containers.length || statuses.length}`, status: reason, restarts };
}

/** `Ready`, `NotReady` or `Unknown` (no Ready condition), `,SchedulingDisabled` when cordoned. */
function nodeStatus(node: Record<string, unknown>): string {
  const ready = list(record(node['status'])['conditions']).find((c) => c['type'] === 'Ready');
  const parts = [ready === undefined ? 'Unknown' : ready['status'] === 'True' ? 'Ready' : 'NotReady'];
  if (record(node['spec'])['unschedulable'] === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** printers.go findNodeRoles: `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels. */
function nodeRoles(node: Record<string, unknown>): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(record(record(node['metadata'])['labels']))) {
    if (key.startsWith('node-role.kubernetes.io/')) roles.add(key.slice('node-role.kubernetes.io/'.length));
    else if (key === 'kubernetes.io/role' && typeof value === 'string' && value !== '') roles.add(value);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}
