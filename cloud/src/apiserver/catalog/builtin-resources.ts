/**
 * The built-in resource types the embedded API server serves: names, scope, verbs, field
 * selectors, Table columns ported from kube's `pkg/printers/internalversion/printers.go` (so
 * `kubectl get` prints the same columns and cells), and a minimal schema for `kubectl explain`
 * (kubectl-contract.md §6). Schemas list only top-level fields; nested objects preserve unknown
 * fields, so strict field validation never rejects a valid built-in manifest.
 */
import { API_VERSION_DESCRIPTION, KIND_DESCRIPTION, METADATA_DESCRIPTION } from './schema-descriptions.ts';
import type { ScaleSubresource, JSONSchemaProps, KubeObject, ResourceType, TableColumn } from '../types.ts';
import { ageSince, creationAge, humanDuration, parseTimestamp } from './table.ts';

type Json = Record<string, unknown>;
type Cell = string | number | boolean | null;

const rec = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);

/** The verbs every built-in here supports (kube also has `proxy` etc. on some; kubectl does not need them). */
export const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

// ---------------------------------------------------------------------------------------------
// Column helpers. Descriptions are kube's swagger docs, shortened.

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function column(
  name: string,
  cell: (obj: KubeObject, now: number) => Cell,
  opts: { type?: TableColumn['type']; priority?: number; description?: string; format?: string } = {},
): TableColumn {
  return {
    name,
    type: opts.type ?? 'string',
    ...(opts.format ? { format: opts.format } : {}),
    description: opts.description ?? '',
    ...(opts.priority ? { priority: opts.priority } : {}),
    cell,
  };
}

/** The NAME column, `format: name` as every kube printer declares it. */
export function nameColumn(opts: { priority?: number } = {}): TableColumn {
  return column('Name', (o) => o.metadata.name ?? '', {
    format: 'name',
    description: NAME_DESCRIPTION,
    ...opts,
  });
}

/** The AGE column: a `string` cell rendered server-side with HumanDuration. */
export function ageColumn(): TableColumn {
  return column('Age', (o, now) => creationAge(o, now), { description: AGE_DESCRIPTION });
}

/** labels.FormatLabels: sorted `k=v` joined by commas, `<none>` when empty. */
export function formatLabels(labels: unknown): string {
  const m = rec(labels);
  const keys = Object.keys(m).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${str(m[k])}`).join(',');
}

/**
 * metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key, matchLabels as `k=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. Empty string for a nil or empty selector.
 */
export function formatLabelSelector(selector: unknown): string {
  const sel = rec(selector);
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(rec(sel['matchLabels']))) reqs.push({ key: k, text: `${k}=${str(v)}` });
  for (const raw of arr(sel['matchExpressions'])) {
    const e = rec(raw);
    const key = str(e['key']);
    const values = [...new Set(arr(e['values']).map(str))].sort().join(',');
    switch (e['operator']) {
      case 'In':
        reqs.push({ key, text: `${key} in (${values})` });
        break;
      case 'NotIn':
        reqs.push({ key, text: `${key} notin (${values})` });
        break;
      case 'Exists':
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        return '<invalid>';
    }
  }
  return reqs
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

/**
 * The wide columns of workloads with a pod template (printers.go printDeployment/printDaemonSet):
 * containers, images and selector (`<none>` when empty, as metav1.FormatLabelSelector prints it).
 */
function workloadTemplateColumns(): TableColumn[] {
  return [
    column('Containers', (o) => containerCells(templateSpec(o)).names, {
      priority: 1,
      description: 'Names of each container in the template.',
    }),
    column('Images', (o) => containerCells(templateSpec(o)).images, {
      priority: 1,
      description: 'Images referenced by each container in the template.',
    }),
    column('Selector', (o) => formatLabelSelector(rec(o['spec'])['selector']) || '<none>', {
      priority: 1,
      description: 'Label selector for pods.',
    }),
  ];
}

/** layoutContainerCells: container names and images joined by commas. */
function containerCells(podSpec: unknown): { names: string; images: string } {
  const containers = arr(rec(podSpec)['containers']).map(rec);
  return {
    names: containers.map((c) => str(c['name'])).join(','),
    images: containers.map((c) => str(c['image'])).join(','),
  };
}

const templateSpec = (o: KubeObject): unknown => rec(rec(o['spec'])['template'])['spec'];

// ---------------------------------------------------------------------------------------------
// Pods (printers.go printPod).

export interface PodSummary {
  /** READY: `ready/total` containers. */
  ready: string;
  /** STATUS: phase, or the waiting/terminated reason, `Init:…`, `Terminating`. */
  status: string;
  /** RESTARTS: `3`, or `3 (5m ago)` when the last restart time is known. */
  restarts: string;
}

const isRestartableInit = (c: Json | undefined): boolean => c?.['restartPolicy'] === 'Always';

function hasCondition(status: Json, type: string): boolean {
  return arr(status['conditions']).some((c) => rec(c)['type'] === type && rec(c)['status'] === 'True');
}

/**
 * The READY, STATUS and RESTARTS cells of a pod, computed as printers.go printPod does, including
 * init containers (restartable "sidecar" ones count as containers), `Completed` → `Running`/`NotReady`
 * while a container still runs, and `Terminating` once deletionTimestamp is set.
 */
export function summarizePod(pod: KubeObject, now: number): PodSummary {
  const spec = rec(pod['spec']);
  const status = rec(pod['status']);
  const containers = arr(spec['containers']);
  const initContainers = arr(spec['initContainers']).map(rec);
  let total = containers.length;
  let ready = 0;
  let restarts = 0;
  let restartableInitRestarts = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;

  // kube defaults status.phase to Pending on create; an object stored without it reads the same.
  const phase = str(status['phase']) || 'Pending';
  let reason = str(status['reason']) || phase;
  for (const c of arr(status['conditions']).map(rec)) {
    if (c['type'] === 'PodScheduled' && c['reason'] === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initByName = new Map<string, Json>();
  for (const c of initContainers) {
    initByName.set(str(c['name']), c);
    if (isRestartableInit(c)) total++;
  }

  const finishedAt = (cs: Json): number =>
    parseTimestamp(rec(rec(cs['lastState'])['terminated'])['finishedAt']) ?? 0;

  let initializing = false;
  const initStatuses = arr(status['initContainerStatuses']).map(rec);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] ?? {};
    const restartable = isRestartableInit(initByName.get(str(cs['name'])));
    restarts += int(cs['restartCount']);
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    if (restartable) {
      restartableInitRestarts += int(cs['restartCount']);
      lastRestartableInitRestart = Math.max(lastRestartableInitRestart, finishedAt(cs));
    }
    const state = rec(cs['state']);
    const terminated = state['terminated'] === undefined ? undefined : rec(state['terminated']);
    const waiting = state['waiting'] === undefined ? undefined : rec(state['waiting']);
    if (terminated && int(terminated['exitCode']) === 0) continue;
    if (restartable && cs['started'] === true) {
      if (cs['ready'] === true) ready++;
      continue;
    }
    if (terminated) {
      if (str(terminated['reason']) === '') {
        reason =
          int(terminated['signal']) !== 0
            ? `Init:Signal:${int(terminated['signal'])}`
            : `Init:ExitCode:${int(terminated['exitCode'])}`;
      } else {
        reason = `Init:${str(terminated['reason'])}`;
      }
    } else if (waiting && str(waiting['reason']) !== '' && waiting['reason'] !== 'PodInitializing') {
      reason = `Init:${str(waiting['reason'])}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(status, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = arr(status['containerStatuses']).map(rec);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      restarts += int(cs['restartCount']);
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      const state = rec(cs['state']);
      const waiting = state['waiting'] === undefined ? undefined : rec(state['waiting']);
      const terminated = state['terminated'] === undefined ? undefined : rec(state['terminated']);
      if (waiting && str(waiting['reason']) !== '') {
        reason = str(waiting['reason']);
      } else if (terminated && str(terminated['reason']) !== '') {
        reason = str(terminated['reason']);
      } else if (terminated) {
        reason =
          int(terminated['signal']) !== 0
            ? `Signal:${int(terminated['signal'])}`
            : `ExitCode:${int(terminated['exitCode'])}`;
      } else if (cs['ready'] === true && state['running'] !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = hasCondition(status, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata.deletionTimestamp && status['reason'] === 'NodeLost') {
    reason = 'Unknown';
  } else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  const restartsText =
    restarts !== 0 && lastRestart !== 0
      ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
      : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}

function podIP(pod: KubeObject): string {
  const status = rec(pod['status']);
  const first = str(rec(arr(status['podIPs'])[0])['ip']);
  // Edge nodes may report only the singular podIP.
  return first || str(status['podIP']) || '<none>';
}

function readinessGates(pod: KubeObject): string {
  const gates = arr(rec(pod['spec'])['readinessGates']).map(rec);
  if (gates.length === 0) return '<none>';
  const conditions = arr(rec(pod['status'])['conditions']).map(rec);
  const trueCount = gates.filter((g) => {
    const c = conditions.find((x) => x['type'] === g['conditionType']);
    return c?.['status'] === 'True';
  }).length;
  return `${trueCount}/${gates.length}`;
}

function podColumns(): TableColumn[] {
  return [
    nameColumn(),
    column('Ready', (o, now) => summarizePod(o, now).ready, {
      description: 'The aggregate readiness state of this pod for accepting traffic.',
    }),
    column('Status', (o, now) => summarizePod(o, now).status, {
      description: 'The aggregate status of the containers in this pod.',
    }),
    column('Restarts', (o, now) => summarizePod(o, now).restarts, {
      description:
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    }),
    ageColumn(),
    column('IP', podIP, { priority: 1, description: 'IP address allocated to the pod.' }),
    column('Node', (o) => str(rec(o['spec'])['nodeName']) || '<none>', {
      priority: 1,
      description: 'NodeName indicates in which node this pod is scheduled.',
    }),
    column('Nominated Node', (o) => str(rec(o['status'])['nominatedNodeName']) || '<none>', {
      priority: 1,
      description: 'nominatedNodeName is set only when this pod preempts other pods on the node.',
    }),
    column('Readiness Gates', readinessGates, {
      priority: 1,
      description: 'If specified, all readiness gates will be evaluated for pod readiness.',
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Nodes (printNode).

/** STATUS: Ready / NotReady / Unknown (no Ready condition), plus `,SchedulingDisabled` when cordoned. */
export function nodeStatus(node: KubeObject): string {
  const ready = arr(rec(node['status'])['conditions'])
    .map(rec)
    .find((c) => c['type'] === 'Ready');
  const status = [ready === undefined ? 'Unknown' : ready['status'] === 'True' ? 'Ready' : 'NotReady'];
  if (rec(node['spec'])['unschedulable'] === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** ROLES: `node-role.kubernetes.io/<role>` label keys and the `kubernetes.io/role` value, sorted. */
export function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function nodeAddress(node: KubeObject, type: string): string {
  const a = arr(rec(node['status'])['addresses'])
    .map(rec)
    .find((x) => x['type'] === type);
  return a === undefined ? '<none>' : str(a['address']);
}

const nodeInfo = (node: KubeObject, key: string): string => str(rec(rec(node['status'])['nodeInfo'])[key]);

function nodeColumns(): TableColumn[] {
  return [
    nameColumn(),
    column('Status', nodeStatus, { description: 'The status of the node' }),
    column('Roles', nodeRoles, { description: 'The roles of the node' }),
    ageColumn(),
    column('Version', (o) => nodeInfo(o, 'kubeletVersion'), {
      description: 'Kubelet Version reported by the node.',
    }),
    column('Internal-IP', (o) => nodeAddress(o, 'InternalIP'), {
      priority: 1,
      description: 'List of addresses reachable to the node.',
    }),
    column('External-IP', (o) => nodeAddress(o, 'ExternalIP'), {
      priority: 1,
      description: 'List of addresses reachable to the node.',
    }),
    column('OS-Image', (o) => nodeInfo(o, 'osImage') || '<unknown>', {
      priority: 1,
      description: 'OS Image reported by the node.',
    }),
    column('Kernel-Version', (o) => nodeInfo(o, 'kernelVersion') || '<unknown>', {
      priority: 1,
      description: "Kernel Version reported by the node from 'uname -r'.",
    }),
    column('Container-Runtime', (o) => nodeInfo(o, 'containerRuntimeVersion') || '<unknown>', {
      priority: 1,
      description: 'ContainerRuntime Version reported by the node through runtime remote API.',
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Services (printService, getServiceExternalIP, makePortString).

const serviceType = (svc: KubeObject): string => str(rec(svc['spec'])['type']) || 'ClusterIP';

function serviceClusterIP(svc: KubeObject): string {
  const spec = rec(svc['spec']);
  return str(arr(spec['clusterIPs'])[0]) || str(spec['clusterIP']) || '<none>';
}

/** EXTERNAL-IP by type: externalIPs, load-balancer ingress (`<pending>` until assigned), or externalName. */
export function serviceExternalIP(svc: KubeObject): string {
  const spec = rec(svc['spec']);
  const externalIPs = arr(spec['externalIPs']).map(str);
  switch (serviceType(svc)) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = arr(rec(rec(rec(svc['status'])['loadBalancer']))['ingress']).map(rec);
      const lb = [...new Set(ingress.map((i) => str(i['ip']) || str(i['hostname'])).filter(Boolean))].sort();
      // The server renders wide (loadBalancerStatusStringer with wide=true), so no 16-char clipping.
      const all = [...lb, ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec['externalName']);
    default:
      return '<unknown>';
  }
}

/** PORT(S): `80/TCP`, `80:30080/TCP` with a nodePort, comma separated; `<none>` without ports. */
export function servicePorts(svc: KubeObject): string {
  const pieces = arr(rec(svc['spec'])['ports'])
    .map(rec)
    .map((p) => {
      const protocol = str(p['protocol']) || 'TCP';
      const nodePort = int(p['nodePort']);
      return nodePort > 0 ? `${int(p['port'])}:${nodePort}/${protocol}` : `${int(p['port'])}/${protocol}`;
    });
  return pieces.length > 0 ? pieces.join(',') : '<none>';
}

function serviceColumns(): TableColumn[] {
  return [
    nameColumn(),
    column('Type', serviceType, { description: 'type determines how the Service is exposed.' }),
    column('Cluster-IP', serviceClusterIP, { description: 'clusterIP is the IP address of the service.' }),
    column('External-IP', serviceExternalIP, {
      description:
        'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    }),
    column('Port(s)', servicePorts, { description: 'The list of ports that are exposed by this service.' }),
    ageColumn(),
    column('Selector', (o) => formatLabels(rec(o['spec'])['selector']), {
      priority: 1,
      description: 'Route service traffic to pods with label keys and values matching this selector.',
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Endpoints and EndpointSlices (formatEndpoints, formatDiscoveryPorts, formatDiscoveryEndpoints).

const joinHostPort = (ip: string, port: number): string =>
  ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;

/** ENDPOINTS: up to 3 `ip:port` entries, then ` + N more...`; `<none>` without subsets. */
export function formatEndpoints(ep: KubeObject): string {
  const subsets = arr(ep['subsets']).map(rec);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = arr(ss['addresses']).map(rec);
    const ports = arr(ss['ports']).map(rec);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a['ip']));
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(str(a['ip']), int(port['port'])));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

function listWithMore(list: string[], count: number, max: number): string {
  const shown = list.slice(0, max).join(',');
  if (count > max) return `${shown} + ${count - max} more...`;
  return shown === '' ? '<unset>' : shown;
}

function sliceColumns(): TableColumn[] {
  return [
    nameColumn(),
    column('AddressType', (o) => str(o['addressType']), {
      description: 'addressType specifies the type of address carried by this EndpointSlice.',
    }),
    column(
      'Ports',
      (o) => {
        const ports = arr(o['ports']).map(rec);
        const list = ports.map((p) =>
          typeof p['port'] === 'number' ? String(int(p['port'])) : str(p['name']) || '*',
        );
        return listWithMore(list, ports.length, 3);
      },
      { description: 'ports specifies the list of network ports exposed by each endpoint in this slice.' },
    ),
    column(
      'Endpoints',
      (o) => {
        const addresses = arr(o['endpoints']).flatMap((e) => arr(rec(e)['addresses']).map(str));
        return listWithMore(addresses, addresses.length, 3);
      },
      { description: 'endpoints is a list of unique endpoints in this slice.' },
    ),
    ageColumn(),
  ];
}

// ---------------------------------------------------------------------------------------------
// Events (printEvent).

function eventTimes(ev: KubeObject, now: number): { first: string; last: string; count: number } {
  const first =
    parseTimestamp(ev['firstTimestamp']) !== undefined
      ? ageSince(ev['firstTimestamp'], now)
      : ageSince(ev['eventTime'], now);
  let last = parseTimestamp(ev['lastTimestamp']) !== undefined ? ageSince(ev['lastTimestamp'], now) : first;
  let count = int(ev['count']);
  const series = ev['series'];
  if (series !== undefined && series !== null) {
    last = ageSince(rec(series)['lastObservedTime'], now);
    count = int(rec(series)['count']);
  } else if (count === 0) {
    // Singleton events of the events.k8s.io API carry no count.
    count = 1;
  }
  return { first, last, count };
}

/** OBJECT: `kind/name` lower-cased kind, as kubectl shows it (`pod/web-1`). */
function eventTarget(ev: KubeObject): string {
  const io = rec(ev['involvedObject']);
  const kind = str(io['kind']).toLowerCase();
  const name = str(io['name']);
  return name ? `${kind}/${name}` : kind;
}

function eventSource(ev: KubeObject): string {
  const source = rec(ev['source']);
  // core/v1 serializes ReportingController as `reportingComponent`.
  const component = str(source['component']) || str(ev['reportingComponent']);
  const host = str(source['host']) || str(ev['reportingInstance']);
  return host ? `${component}, ${host}` : component;
}

function eventColumns(): TableColumn[] {
  return [
    column('Last Seen', (o, now) => eventTimes(o, now).last, {
      description: 'The time at which the most recent occurrence of this event was recorded.',
    }),
    column('Type', (o) => str(o['type']), {
      description: 'Type of this event (Normal, Warning), new types could be added in the future',
    }),
    column('Reason', (o) => str(o['reason']), {
      description:
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    }),
    column('Object', eventTarget, { description: 'The object that this event is about.' }),
    column('Subobject', (o) => str(rec(o['involvedObject'])['fieldPath']), {
      priority: 1,
      description: 'The field of the object the event is about.',
    }),
    column('Source', eventSource, { priority: 1, description: 'The component reporting this event.' }),
    column('Message', (o) => str(o['message']).trim(), {
      description: 'A human-readable description of the status of this operation.',
    }),
    column('First Seen', (o, now) => eventTimes(o, now).first, {
      priority: 1,
      description: 'The time at which the event was first recorded.',
    }),
    column('Count', (o, now) => eventTimes(o, now).count, {
      priority: 1,
      description: 'The number of times this event has occurred.',
    }),
    nameColumn({ priority: 1 }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Schemas: just enough for `kubectl explain <kind>` and top-level strict field validation.

export const SPEC_STATUS_LINK =
  'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status';

/** A nested object we do not describe field by field: any content is accepted and kept. */
const opaque = (description: string, type = 'object'): JSONSchemaProps =>
  type === 'array'
    ? { type, description, items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }
    : { type, description, 'x-kubernetes-preserve-unknown-fields': true };
const stringMap = (description: string): JSONSchemaProps => ({
  type: 'object',
  description,
  additionalProperties: { type: 'string' },
});

/** The schema of a kind: apiVersion, kind, metadata plus its own top-level fields. */
export function kindSchema(
  description: string,
  properties: Record<string, JSONSchemaProps>,
): JSONSchemaProps {
  return {
    type: 'object',
    description,
    properties: {
      apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
      kind: { type: 'string', description: KIND_DESCRIPTION },
      metadata: { type: 'object', description: METADATA_DESCRIPTION },
      ...properties,
    },
  };
}

const specStatus = (what: string): Record<string, JSONSchemaProps> => ({
  spec: opaque(`Spec defines the behavior of the ${what}. ${SPEC_STATUS_LINK}`),
  status: opaque(
    `Most recently observed status of the ${what}. Populated by the system. Read-only. ${SPEC_STATUS_LINK}`,
  ),
});

// ---------------------------------------------------------------------------------------------

interface BuiltinSpec {
  group: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  statusSubresource?: boolean;
  scale?: ScaleSubresource;
  fieldSelectors?: string[];
  tracksGeneration?: boolean;
  columns: TableColumn[];
  schema: JSONSchemaProps;
}

function builtin(s: BuiltinSpec): ResourceType {
  return {
    group: s.group,
    version: 'v1',
    plural: s.plural,
    singular: s.singular,
    kind: s.kind,
    listKind: `${s.kind}List`,
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: [...STANDARD_VERBS],
    statusSubresource: s.statusSubresource ?? false,
    ...(s.scale ? { scale: s.scale } : {}),
    columns: s.columns,
    schema: s.schema,
    fieldSelectors: s.fieldSelectors ?? [],
    tracksGeneration: s.tracksGeneration ?? false,
  };
}

/**
 * Every built-in type, freshly built (callers may keep and extend the list). Short names,
 * categories and field selectors are kube's (pkg/registry/<kind>/strategy.go ToSelectableFields);
 * for events, `source` is source.component falling back to reportingController, and
 * `reportingComponent` is reportingController.
 */
export function builtinResourceTypes(): ResourceType[] {
  return [
    builtin({
      group: '',
      plural: 'namespaces',
      singular: 'namespace',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      fieldSelectors: ['status.phase'],
      columns: [
        nameColumn(),
        column('Status', (o) => str(rec(o['status'])['phase']), {
          description: 'The status of the namespace',
        }),
        ageColumn(),
      ],
      schema: kindSchema(
        'Namespace provides a scope for Names. Use of multiple namespaces is optional.',
        specStatus('Namespace'),
      ),
    }),
    builtin({
      group: '',
      plural: 'nodes',
      singular: 'node',
      kind: 'Node',
      namespaced: false,
      shortNames: ['no'],
      statusSubresource: true,
      fieldSelectors: ['spec.unschedulable'],
      columns: nodeColumns(),
      schema: kindSchema(
        'Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).',
        specStatus('node'),
      ),
    }),
    builtin({
      group: '',
      plural: 'pods',
      singular: 'pod',
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      statusSubresource: true,
      // `kubectl describe node N` lists pods with spec.nodeName=N,status.phase!=Succeeded,status.phase!=Failed.
      fieldSelectors: [
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'status.phase',
        'status.podIP',
        'status.nominatedNodeName',
      ],
      columns: podColumns(),
      schema: kindSchema(
        'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.',
        specStatus('pod'),
      ),
    }),
    builtin({
      group: '',
      plural: 'configmaps',
      singular: 'configmap',
      kind: 'ConfigMap',
      namespaced: true,
      shortNames: ['cm'],
      columns: [
        nameColumn(),
        column('Data', (o) => Object.keys(rec(o['data'])).length + Object.keys(rec(o['binaryData'])).length, {
          description: 'Data contains the configuration data.',
        }),
        ageColumn(),
      ],
      schema: kindSchema('ConfigMap holds configuration data for pods to consume.', {
        data: stringMap(
          "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'.",
        ),
        binaryData: stringMap('BinaryData contains the binary data, base64 encoded.'),
        immutable: {
          type: 'boolean',
          description:
            'Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated.',
        },
      }),
    }),
    builtin({
      group: '',
      plural: 'secrets',
      singular: 'secret',
      kind: 'Secret',
      namespaced: true,
      fieldSelectors: ['type'],
      columns: [
        nameColumn(),
        column('Type', (o) => str(o['type']), {
          description: 'Used to facilitate programmatic handling of secret data.',
        }),
        column('Data', (o) => Object.keys(rec(o['data'])).length, {
          description: 'Data contains the secret data.',
        }),
        ageColumn(),
      ],
      schema: kindSchema(
        'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.',
        {
          data: stringMap('Data contains the secret data, base64 encoded.'),
          stringData: stringMap(
            'stringData allows specifying non-binary secret data in string form. It is merged into data on write.',
          ),
          type: { type: 'string', description: 'Used to facilitate programmatic handling of secret data.' },
          immutable: {
            type: 'boolean',
            description:
              'Immutable, if set to true, ensures that data stored in the Secret cannot be updated.',
          },
        },
      ),
    }),
    builtin({
      group: '',
      plural: 'services',
      singular: 'service',
      kind: 'Service',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      statusSubresource: true,
      columns: serviceColumns(),
      schema: kindSchema(
        'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
        specStatus('service'),
      ),
    }),
    builtin({
      group: '',
      plural: 'endpoints',
      singular: 'endpoints',
      kind: 'Endpoints',
      namespaced: true,
      shortNames: ['ep'],
      columns: [
        nameColumn(),
        column('Endpoints', formatEndpoints, {
          description: 'The set of all endpoints is the union of all subsets.',
        }),
        ageColumn(),
      ],
      schema: kindSchema('Endpoints is a collection of endpoints that implement the actual service.', {
        subsets: opaque('The set of all endpoints is the union of all subsets.', 'array'),
      }),
    }),
    builtin({
      group: '',
      plural: 'events',
      singular: 'event',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
      fieldSelectors: [
        'involvedObject.kind',
        'involvedObject.namespace',
        'involvedObject.name',
        'involvedObject.uid',
        'involvedObject.apiVersion',
        'involvedObject.resourceVersion',
        'involvedObject.fieldPath',
        'reason',
        'reportingComponent',
        'source',
        'type',
      ],
      columns: eventColumns(),
      schema: kindSchema('Event is a report of an event somewhere in the cluster.', {
        action: {
          type: 'string',
          description: 'What action was taken/failed regarding to the Regarding object.',
        },
        count: { type: 'integer', description: 'The number of times this event has occurred.' },
        eventTime: { type: 'string', description: 'Time when this Event was first observed.' },
        firstTimestamp: { type: 'string', description: 'The time at which the event was first recorded.' },
        involvedObject: opaque('The object that this event is about.'),
        lastTimestamp: {
          type: 'string',
          description: 'The time at which the most recent occurrence of this event was recorded.',
        },
        message: {
          type: 'string',
          description: 'A human-readable description of the status of this operation.',
        },
        reason: {
          type: 'string',
          description:
            "A short, machine understandable string that gives the reason for the transition into the object's current status.",
        },
        related: opaque('Optional secondary object for more complex actions.'),
        reportingComponent: {
          type: 'string',
          description: 'Name of the controller that emitted this Event.',
        },
        reportingInstance: { type: 'string', description: 'ID of the controller instance.' },
        series: opaque('Data about the Event series this event represents.'),
        source: opaque('The component reporting this event.'),
        type: { type: 'string', description: 'Type of this event (Normal, Warning).' },
      }),
    }),
    builtin({
      group: '',
      plural: 'serviceaccounts',
      singular: 'serviceaccount',
      kind: 'ServiceAccount',
      namespaced: true,
      shortNames: ['sa'],
      columns: [
        nameColumn(),
        column('Secrets', (o) => arr(o['secrets']).length, {
          description:
            'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
        }),
        ageColumn(),
      ],
      schema: kindSchema(
        'ServiceAccount binds together: a name, understood by users, and perhaps by peripheral systems, for an identity; a principal that can be authenticated and authorized; a set of secrets.',
        {
          automountServiceAccountToken: {
            type: 'boolean',
            description:
              'Whether pods running as this service account should have an API token automatically mounted.',
          },
          imagePullSecrets: opaque(
            'List of references to secrets in the same namespace to use for pulling any images in pods that reference this ServiceAccount.',
            'array',
          ),
          secrets: opaque(
            'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
            'array',
          ),
        },
      ),
    }),
    builtin({
      group: 'discovery.k8s.io',
      plural: 'endpointslices',
      singular: 'endpointslice',
      kind: 'EndpointSlice',
      namespaced: true,
      columns: sliceColumns(),
      schema: kindSchema('EndpointSlice represents a subset of the endpoints that implement a service.', {
        addressType: {
          type: 'string',
          description: 'addressType specifies the type of address carried by this EndpointSlice.',
        },
        endpoints: opaque('endpoints is a list of unique endpoints in this slice.', 'array'),
        ports: opaque(
          'ports specifies the list of network ports exposed by each endpoint in this slice.',
          'array',
        ),
      }),
    }),
    builtin({
      group: 'coordination.k8s.io',
      plural: 'leases',
      singular: 'lease',
      kind: 'Lease',
      namespaced: true,
      columns: [
        nameColumn(),
        column('Holder', (o) => str(rec(o['spec'])['holderIdentity']), {
          description: 'holderIdentity contains the identity of the holder of a current lease.',
        }),
        ageColumn(),
      ],
      schema: kindSchema('Lease defines a lease concept.', {
        spec: opaque(`spec contains the specification of the Lease. ${SPEC_STATUS_LINK}`),
      }),
    }),
    builtin({
      group: 'apps',
      plural: 'deployments',
      singular: 'deployment',
      kind: 'Deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
      statusSubresource: true,
      // apps/v1 deployments/scale (pkg/registry/apps/deployment/storage ScaleREST).
      scale: {
        specReplicasPath: 'spec.replicas',
        statusReplicasPath: 'status.replicas',
        labelSelectorPath: 'spec.selector',
      },
      tracksGeneration: true,
      columns: [
        nameColumn(),
        column(
          'Ready',
          (o) => {
            const replicas = rec(o['spec'])['replicas'];
            // spec.replicas defaults to 1 (apps/v1 defaults).
            return `${int(rec(o['status'])['readyReplicas'])}/${replicas === undefined ? 1 : int(replicas)}`;
          },
          { description: 'Number of the pod with ready state' },
        ),
        column('Up-to-date', (o) => int(rec(o['status'])['updatedReplicas']), {
          description:
            'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
        }),
        column('Available', (o) => int(rec(o['status'])['availableReplicas']), {
          description:
            'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
        }),
        ageColumn(),
        ...workloadTemplateColumns(),
      ],
      schema: kindSchema(
        'Deployment enables declarative updates for Pods and ReplicaSets.',
        specStatus('Deployment'),
      ),
    }),
    builtin({
      group: 'apps',
      plural: 'daemonsets',
      singular: 'daemonset',
      kind: 'DaemonSet',
      namespaced: true,
      shortNames: ['ds'],
      categories: ['all'],
      statusSubresource: true,
      tracksGeneration: true,
      columns: [
        nameColumn(),
        column('Desired', (o) => int(rec(o['status'])['desiredNumberScheduled']), {
          type: 'integer',
          description: 'The total number of nodes that should be running the daemon pod.',
        }),
        column('Current', (o) => int(rec(o['status'])['currentNumberScheduled']), {
          type: 'integer',
          description:
            'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
        }),
        column('Ready', (o) => int(rec(o['status'])['numberReady']), {
          type: 'integer',
          description:
            'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
        }),
        column('Up-to-date', (o) => int(rec(o['status'])['updatedNumberScheduled']), {
          type: 'integer',
          description: 'The total number of nodes that are running updated daemon pod.',
        }),
        column('Available', (o) => int(rec(o['status'])['numberAvailable']), {
          type: 'integer',
          description:
            'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
        }),
        column('Node Selector', (o) => formatLabels(rec(templateSpec(o))['nodeSelector']), {
          description: 'NodeSelector is a selector which must be true for the pod to fit on a node.',
        }),
        ageColumn(),
        ...workloadTemplateColumns(),
      ],
      schema: kindSchema('DaemonSet represents the configuration of a daemon set.', specStatus('DaemonSet')),
    }),
    builtin({
      group: 'apiextensions.k8s.io',
      plural: 'customresourcedefinitions',
      singular: 'customresourcedefinition',
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      statusSubresource: true,
      tracksGeneration: true,
      // CRDs have no printer in printers.go: kube's default table convertor prints NAME and
      // CREATED AT, a `date` column whose cell is RFC 3339 (kubectl prints it verbatim).
      columns: [
        nameColumn(),
        column('Created At', (o) => createdAt(o), { type: 'date', description: AGE_DESCRIPTION }),
      ],
      schema: kindSchema(
        'CustomResourceDefinition represents a resource that should be exposed on the API server. Its name MUST be in the format <.spec.name>.<.spec.group>.',
        specStatus('CustomResourceDefinition'),
      ),
    }),
  ];
}

/** `metav1.Time` as JSON: RFC 3339 in UTC with second precision (`2024-01-01T00:00:00Z`). */
function createdAt(o: KubeObject): string | null {
  const t = parseTimestamp(o.metadata.creationTimestamp);
  return t === undefined ? null : new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
