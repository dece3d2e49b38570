/**
 * Resource strings (kubeedge-protocol.md §1.3, §7.2): the `route.resource` of a message.
 *
 * - Inside cloudcore: `node/<nodeID>/<rest>` (`cloud/pkg/common/messagelayer/util.go` BuildResource).
 * - On the wire and at the edge: `<rest>`; cloudhub strips the prefix going down
 *   (`cloud/pkg/cloudhub/common/helper.go` TrimMessage) and adds it coming up
 *   (`cloud/pkg/cloudhub/dispatcher/message_dispatcher.go` PubToController).
 *
 * `<rest>` is one of the forms of `ResourceRef`. Cluster-scoped objects use the namespace string
 * `null` (`edge/pkg/metamanager/dao/models/constants.go`); we keep that literal string rather than
 * mapping it to `undefined`, because it is what KubeEdge writes on the wire, in SQLite keys
 * (`meta.key` = `null/node/edge-1`) and in the ObjectSync vs ClusterObjectSync choice, so parse and
 * build round-trip with no special case. (A namespace really named `null` is indistinguishable, in
 * KubeEdge as here.) Use `isClusterScoped` rather than comparing by hand.
 */
import { InvalidInputError } from '../errors.ts';
import { K8S_CA_RESOURCE } from './vocabulary.ts';

/** The namespace KubeEdge writes for cluster-scoped objects. */
export const NULL_NAMESPACE = 'null';

/** Twin resources have no namespace (§1.3, §7.4; `cloud/pkg/cloudhub/common/model/types.go`, messagelayer util.go). */
export const TWIN_RESOURCES = ['membership', 'membership/detail', 'twin'] as const;
export type TwinResource = (typeof TWIN_RESOURCES)[number];

/** What a resource string names, once the `node/<id>/` prefix is gone. */
export type ResourceRef =
  /** `<namespace>/<type>/<name>`, e.g. `default/pod/nginx`, `null/node/edge-1`. */
  | { kind: 'object'; namespace: string; resourceType: string; name: string }
  /** `<namespace>/<type>`, e.g. `default/pod`: valid only with operation query or response (`edge/pkg/common/message/message.go` ParseResourceEdge). */
  | { kind: 'collection'; namespace: string; resourceType: string }
  /** `membership`, `membership/detail`, `twin`. */
  | { kind: 'twin'; resource: TwinResource }
  /** `device/<namespace>/<name>/<path>`, e.g. path `twin/edge_updated`, `state/update`, `twin/cloud_updated` (§7.4). */
  | { kind: 'device'; namespace: string; name: string; path: string }
  /** `k8s/ca.crt` (§2.4). */
  | { kind: 'k8sCA' };

/** A cloud-internal resource: the node it is for or from, and what it names. */
export type CloudResourceRef = ResourceRef & { nodeId: string };

const NODE_PREFIX = 'node/';
const twinSet: ReadonlySet<string> = new Set(TWIN_RESOURCES);

/** True when `namespace` is KubeEdge's marker for a cluster-scoped object. */
export function isClusterScoped(namespace: string): boolean {
  return namespace === NULL_NAMESPACE;
}

/**
 * Parses an edge-form resource (no `node/` prefix). `operation` is the message's: the two-segment
 * collection form is accepted only with `query` or `response`, as edgecore's ParseResourceEdge does.
 * Throws `InvalidInputError` naming the resource when it fits no form.
 */
export function parseEdgeResource(resource: string, operation?: string): ResourceRef {
  return parseRest(resource, operation, resource);
}

/** Parses the edge form `resource`; errors name `whole`, the string the caller was given. */
function parseRest(resource: string, operation: string | undefined, whole: string): ResourceRef {
  const malformed = (why: string) => new InvalidInputError(`resource "${whole}" is malformed: ${why}`);
  if (resource === K8S_CA_RESOURCE) return { kind: 'k8sCA' };
  if (twinSet.has(resource)) return { kind: 'twin', resource: resource as TwinResource };

  const parts = resource.split('/');
  if (parts.some((p) => p === '')) throw malformed('it has an empty segment');

  // Device paths are namespace-qualified since v1.17 (§7.2): device/<ns>/<name>/<kind>/<action>.
  if (parts[0] === 'device' && parts.length >= 5) {
    const [, namespace = '', name = '', ...path] = parts;
    return { kind: 'device', namespace, name, path: path.join('/') };
  }
  const [namespace = '', resourceType = '', name = ''] = parts;
  if (parts.length === 3) return { kind: 'object', namespace, resourceType, name };
  if (parts.length === 2) {
    if (operation === 'query' || operation === 'response')
      return { kind: 'collection', namespace, resourceType };
    throw malformed(
      `<namespace>/<type> is valid only with operation query or response, not ${operation === undefined ? 'without one' : `"${operation}"`}`,
    );
  }
  if (parts[0] === 'device') {
    throw malformed('device resources are device/<namespace>/<name>/<kind>/<action> (since KubeEdge v1.17)');
  }
  throw malformed('expected <namespace>/<type>/<name>, membership, twin or device/<namespace>/<name>/…');
}

/** Writes the edge form of `ref`. Throws `InvalidInputError` for an empty segment or a `/` inside one. */
export function buildEdgeResource(ref: ResourceRef): string {
  switch (ref.kind) {
    case 'object':
      return joinSegments([ref.namespace, ref.resourceType, ref.name]);
    case 'collection':
      return joinSegments([ref.namespace, ref.resourceType]);
    case 'twin':
      if (!twinSet.has(ref.resource))
        throw new InvalidInputError(`"${String(ref.resource)}" is not a twin resource`);
      return ref.resource;
    case 'device': {
      const path = ref.path.split('/');
      if (path.length < 2 || path.some((p) => p === '')) {
        throw new InvalidInputError(
          `device resource path "${ref.path}" must be <kind>/<action>, e.g. twin/edge_updated`,
        );
      }
      return joinSegments(['device', ref.namespace, ref.name]) + '/' + ref.path;
    }
    case 'k8sCA':
      return K8S_CA_RESOURCE;
  }
}

/**
 * Parses a cloud-internal resource `node/<nodeID>/<rest>`, where `<rest>` is any edge form
 * (`parseEdgeResource`). Indexes are messagelayer's: 1 is the node, 2 the namespace, 3 the type,
 * 4 the name.
 */
export function parseCloudResource(resource: string, operation?: string): CloudResourceRef {
  const { nodeId, rest } = splitNodePrefix(resource);
  return { ...parseRest(rest, operation, resource), nodeId };
}

/** Writes `node/<nodeID>/<edge form>` (messagelayer BuildResource). */
export function buildCloudResource(ref: CloudResourceRef): string {
  return addNodePrefix(ref.nodeId, buildEdgeResource(ref));
}

/**
 * Splits `node/<nodeID>/<rest>`. Throws `InvalidInputError` unless the resource has the prefix,
 * a node id and a non-empty rest.
 */
export function splitNodePrefix(resource: string): { nodeId: string; rest: string } {
  if (!resource.startsWith(NODE_PREFIX)) {
    throw new InvalidInputError(
      `resource "${resource}" is not a cloud resource: it must start with node/<nodeID>/`,
    );
  }
  const slash = resource.indexOf('/', NODE_PREFIX.length);
  const nodeId = resource.slice(NODE_PREFIX.length, slash === -1 ? undefined : slash);
  const rest = slash === -1 ? '' : resource.slice(slash + 1);
  if (nodeId === '') throw new InvalidInputError(`resource "${resource}" has an empty node id`);
  if (rest === '') throw new InvalidInputError(`resource "${resource}" names a node but nothing on it`);
  return { nodeId, rest };
}

/**
 * What the edge sees of a cloud-internal resource (cloudhub TrimMessage): `node/<id>/<rest>` becomes
 * `<rest>`. A resource without the `node/` prefix is returned unchanged, as TrimMessage leaves it.
 * Throws `InvalidInputError` for `node/<id>` with nothing after it, which TrimMessage would send
 * untrimmed with only a warning. (TrimMessage tests `HasPrefix("node")`; we require `node/`, so a
 * resource such as `nodepatch/…` is never cut.)
 */
export function trimNodePrefix(resource: string): string {
  if (!resource.startsWith(NODE_PREFIX)) return resource;
  return splitNodePrefix(resource).rest;
}

/**
 * The cloud-internal form of a resource received from node `nodeId` (cloudhub PubToController:
 * `node/<node_id header>/<resource>`). Throws `InvalidInputError` for an empty or `/`-containing
 * node id or an empty resource.
 */
export function addNodePrefix(nodeId: string, resource: string): string {
  if (nodeId === '' || nodeId.includes('/')) {
    throw new InvalidInputError(`node id "${nodeId}" must be non-empty and contain no "/"`);
  }
  if (resource === '') throw new InvalidInputError(`resource from node "${nodeId}" is empty`);
  return `${NODE_PREFIX}${nodeId}/${resource}`;
}

function joinSegments(segments: string[]): string {
  for (const s of segments) {
    if (s === '' || s.includes('/')) {
      throw new InvalidInputError(
        `resource segment "${s}" of ${JSON.stringify(segments)} must be non-empty and contain no "/"`,
      );
    }
  }
  return segments.join('/');
}
