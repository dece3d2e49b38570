/**
 * EdgeController's upstream half (kubeedge-protocol.md §4.2): edge → cloud requests about the
 * edge node itself — node register and query, node status patch, lease create/update — and about
 * its pods — pod status patch (`podpatch`), events (`event`) — carried out
 * against the Kubernetes API through @kubernetes/client-node, and answered on the node's session.
 *
 * Behaviour checked in kubeedge/kubeedge `cloud/pkg/edgecontroller/controller/upstream.go`:
 * - `registerNode` / `createNode`: the Node in the content is created under the resource's name,
 *   and annotated `cloudcore=<cloudcore address>` (`common.EdgeMappingCloudKey`). KubeEdge leaves
 *   `kubernetes.io` / `*.kubernetes.io` labels out of the create and merge-patches them on after;
 *   we create with every label at once (see below).
 * - `patchNode`: strategic-merge patch of the `status` subresource. Go reads the content as a
 *   base64url string (`base64.URLEncoding.DecodeString`); we also accept the patch as a JSON string
 *   or a JSON object (§1.1).
 * - `createOrUpdateLease`: `insert` → Create, `update` → Update of the Lease in the content.
 * - Register, nodepatch and lease replies are `ObjectResp` `{"Object":…,"Err":…}` with capitalised
 *   keys. `Err` is a Go `error`: `null` on success, and on failure the `*StatusError`, which
 *   `encoding/json` writes as `{"ErrStatus":<metav1.Status>}` — the edge decodes it back into
 *   `apierrors.StatusError` (`edge/pkg/metamanager/client/node.go` `handleNodeResp`).
 * - `queryNode` (`queryInner`): the bare Node.
 * - `podpatch`: strategic-merge patch of `pods/<name>/status`, content as for nodepatch. The
 *   kubelet's patch names the pod's `metadata.uid`; it is checked against the pod, so a status
 *   meant for a deleted pod never lands on a new one of the same name. Reply `ObjectResp`.
 * - `pod` `delete`: the kubelet's final delete of a pod it has stopped; a string content is the
 *   pod's uid, a precondition, with grace period 0. Reply `"OK"`-style ObjectResp.
 * - `serviceaccounttoken` `query`: the content is a TokenRequest; the token is created for the
 *   service account (`CreateToken`) and the TokenRequest answered bare — only for a service account
 *   a pod of the node runs as, and a bound pod of the node (`queryServiceAccountToken`).
 * - `configmap` / `secret` `query` (`queryInner`): the bare object, with its resourceVersion in
 *   the header. A KubeEdge edgecore asks this way for what its pods reference; edgeproof's own
 *   edge gets them pushed by the downstream controller.
 * - `event`: `insert` creates the core/v1 Event in the content (KubeEdge drops events unless
 *   `edged.reportEvent` is set; edgeproof reports them). Reply `ObjectResp`.
 * - Replies use `model.NewMessage(msg.GetID())` with source `edgecontroller`, group `resource`,
 *   operation `response`, the request's resource, and the object's resourceVersion in the header.
 *
 * Deliberate differences from KubeEdge:
 * - Node identity is enforced: a message whose resource is not about `session.nodeId` (its
 *   `node/<id>/` prefix, or the node/lease name, or a pod bound to another node, or an event about
 *   one, or a configmap or secret no pod of the node references — the rule of Kubernetes' Node
 *   authorizer) is refused. KubeEdge trusts the edge here.
 * - Register adds `node-role.kubernetes.io/edge` and `node-role.kubernetes.io/agent` when the edge
 *   left them out (KubeEdge's kubelet fork adds them on the edge side, §4.1), since downstream and the
 *   lifecycle controller select edge nodes by that label.
 * - Register of a node that already exists merges the sent labels and annotations into it and
 *   patches its status, instead of failing with AlreadyExists.
 * - One create with all labels instead of create + label patch: the split exists for the
 *   NodeRestriction admission plugin, which limits what a *node's* credentials may set, and
 *   cloudcore writes with its own. It saves one API call per registration, which is what a
 *   reconnect storm of thousands of nodes is made of.
 * - Refusals (bad resource, wrong node, garbage content, unknown type/operation) get an `error`
 *   reply (`NewErrorMessage` shape, answering the request's id) instead of being dropped silently.
 *
 * Replies go straight to `session.send`, so their resource has the `node/<id>/` prefix removed
 * already (KubeEdge's `TrimMessage` runs before the write, see `cloudhub/node-session.ts`).
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type AuthenticationV1TokenRequest,
  type CoreV1Event,
  type V1Lease,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import {
  InvalidInputError,
  contentAsJson,
  errorMessage,
  messageBuilder,
  parseCloudResource,
  trimNodePrefix,
  type Clock,
  type Logger,
  type Message,
  type MessageBuilder,
} from '@edgeproof/core';
import { apiStatusCode } from '../cloudhub/kube-errors.ts';
import { podReferences, type PodReferences } from './downstream-desired.ts';

/** Label every edge node carries (§4.1). */
export const EDGE_NODE_ROLE_LABEL = 'node-role.kubernetes.io/edge';
/** Second role label KubeEdge's kubelet fork adds at registration (§4.1). */
export const AGENT_NODE_ROLE_LABEL = 'node-role.kubernetes.io/agent';
/** Namespace of node heartbeat Leases (§4.3). */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Annotation KubeEdge puts on a registered node (`common.EdgeMappingCloudKey`). */
export const CLOUDCORE_ANNOTATION = 'cloudcore';

/** What the handler needs of a cloudhub session (`cloudhub/node-session.ts` `NodeSession`). */
export interface UpstreamSession {
  readonly nodeId: string;
  send(message: Message): Promise<void>;
}

/** The API server's `metav1.Status`, as much of it as a reply carries. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: unknown;
}

/** KubeEdge's `ObjectResp` (`upstream.go`): capitalised keys on the wire. */
export interface ObjectResp<T> {
  Object: T | null;
  /** `null` on success; Go's `*apierrors.StatusError` JSON on failure. */
  Err: { ErrStatus: KubeStatus } | null;
}

export interface UpstreamControllerOptions {
  kubeConfig: KubeConfig;
  clock: Clock;
  logger: Logger;
  /** Value of the `cloudcore` annotation on registered nodes; left out when unset. */
  cloudcoreAddress?: string;
}

/** A request we will not carry out; answered with an `error` reply. */
class Refusal extends Error {}

/**
 * Handles upstream messages for node, nodepatch and lease (see the module comment). One instance
 * serves every session; it holds no per-node state.
 */
export class UpstreamController {
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly logger: Logger;
  private readonly builder: MessageBuilder;
  private readonly cloudcoreAddress: string | undefined;

  constructor(options: UpstreamControllerOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.coordination = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.logger = options.logger;
    this.builder = messageBuilder({ clock: options.clock });
    this.cloudcoreAddress = options.cloudcoreAddress;
  }

  /**
   * Carries out one upstream message from `session` and sends the reply on it. Never throws: every
   * failure is logged, and answered when the session is still there to answer.
   */
  async handle(session: UpstreamSession, message: Message): Promise<void> {
    let reply: Message;
    try {
      reply = await this.dispatch(session.nodeId, message);
    } catch (err) {
      const refused = err instanceof Refusal || err instanceof InvalidInputError;
      this.logger.warn(refused ? 'upstream message refused' : 'upstream message failed', {
        node: session.nodeId,
        msgId: message.header?.msg_id,
        operation: message.route?.operation,
        resource: message.route?.resource,
        error: errorMessage(err),
      });
      reply = this.errorReply(message, errorMessage(err));
    }
    try {
      await session.send(reply);
    } catch (err) {
      this.logger.warn('cannot send upstream reply', {
        node: session.nodeId,
        msgId: message.header?.msg_id,
        error: errorMessage(err),
      });
    }
  }

  private async dispatch(nodeId: string, message: Message): Promise<Message> {
    const operation = message.route?.operation ?? '';
    const ref = parseCloudResource(message.route?.resource ?? '', operation);
    if (ref.nodeId !== nodeId) {
      throw new Refusal(`node "${nodeId}" may not act for node "${ref.nodeId}"`);
    }
    if (ref.kind !== 'object') {
      throw new Refusal(`resource "${message.route.resource}" is not handled by edgecontroller upstream`);
    }
    const { resourceType, name, namespace } = ref;
    const key = `${resourceType}/${operation}`;
    if (resourceType === 'node' || resourceType === 'nodepatch') {
      if (name !== nodeId) throw new Refusal(`node "${nodeId}" may not act on node "${name}"`);
    }
    if (resourceType === 'lease') {
      if (name !== nodeId) throw new Refusal(`node "${nodeId}" may not act on lease "${name}"`);
      if (namespace !== NODE_LEASE_NAMESPACE) {
        throw new Refusal(`node leases live in "${NODE_LEASE_NAMESPACE}", not "${namespace}"`);
      }
    }
    switch (key) {
      case 'node/insert':
        return this.objectReply(message, () => this.registerNode(name, message));
      case 'node/query':
        return this.reply(message, await this.core.readNode({ name }));
      case 'nodepatch/patch':
        return this.objectReply(message, () => this.patchNodeStatus(name, message));
      case 'lease/insert':
      case 'lease/update':
        return this.objectReply(message, () => this.writeLease(name, operation, message));
      case 'podpatch/patch':
        return this.objectReply(message, () => this.patchPodStatus(nodeId, namespace, name, message));
      case 'pod/delete':
        return this.objectReply(message, () => this.deletePod(nodeId, namespace, name, message));
      case 'serviceaccounttoken/query':
        return this.reply(message, await this.serviceAccountToken(nodeId, namespace, name, message));
      case 'configmap/query':
        return this.reply(message, await this.queryReferenced(nodeId, 'configMaps', namespace, name));
      case 'secret/query':
        return this.reply(message, await this.queryReferenced(nodeId, 'secrets', namespace, name));
      case 'event/insert':
        return this.objectReply(message, () => this.createEvent(nodeId, namespace, name, message));
      default:
        throw new Refusal(`operation "${operation}" on resource type "${resourceType}" is not supported`);
    }
  }

  /** `registerNode` + `createNode`; an existing node gets the sent labels, annotations and status. */
  private async registerNode(name: string, message: Message): Promise<V1Node> {
    const node = objectContent<V1Node>(message, 'a Node');
    checkContentName(node, name);
    const labels: Record<string, string> = {
      ...(node.metadata?.labels ?? {}),
    };
    labels[EDGE_NODE_ROLE_LABEL] ??= '';
    labels[AGENT_NODE_ROLE_LABEL] ??= '';
    const annotations: Record<string, string> = { ...(node.metadata?.annotations ?? {}) };
    if (this.cloudcoreAddress) annotations[CLOUDCORE_ANNOTATION] = this.cloudcoreAddress;

    const body: V1Node = {
      ...node,
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { ...node.metadata, name, labels, annotations },
    };
    delete body.metadata?.resourceVersion;
    delete body.metadata?.uid;
    try {
      return await this.core.createNode({ body });
    } catch (err) {
      if (apiStatusCode(err) !== 409) throw err;
      // Already registered (an edge re-registering after a restart): merge in what it sent.
      if (node.status) {
        await this.core.patchNodeStatus(
          { name, body: { status: node.status } },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        );
      }
      return this.core.patchNode(
        { name, body: { metadata: { labels, annotations } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
  }

  /** `patchNode`: strategic-merge patch of `nodes/<name>/status`. */
  private patchNodeStatus(name: string, message: Message): Promise<V1Node> {
    return this.core.patchNodeStatus(
      { name, body: patchContent(message) },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  }

  /** `patchPod`: strategic-merge patch of `pods/<name>/status`, for a pod bound to this node. */
  private async patchPodStatus(
    nodeId: string,
    namespace: string,
    name: string,
    message: Message,
  ): Promise<V1Pod> {
    const patch = patchContent(message) as { metadata?: { uid?: unknown }; status?: unknown };
    const pod = await this.podOfNode(nodeId, namespace, name);
    const uid = patch.metadata?.uid;
    if (typeof uid === 'string' && uid !== pod.metadata?.uid) {
      throw new Refusal(
        `the status is for pod uid ${uid}, but ${namespace}/${name} is now ${pod.metadata?.uid}`,
      );
    }
    return this.core.patchNamespacedPodStatus(
      { name, namespace, body: { status: patch.status ?? {} } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  }

  /** The pod, if it is bound to `nodeId`; else a refusal (a node acts only for its own pods). */
  private async podOfNode(nodeId: string, namespace: string, name: string): Promise<V1Pod> {
    const pod = await this.core.readNamespacedPod({ name, namespace });
    if (pod.spec?.nodeName !== nodeId) {
      throw new Refusal(`pod ${namespace}/${name} is not bound to node "${nodeId}"`);
    }
    return pod;
  }

  /** The pods of `namespace` bound to `nodeId`. */
  private async podsOfNode(nodeId: string, namespace: string): Promise<V1Pod[]> {
    const list = await this.core.listNamespacedPod({ namespace, fieldSelector: `spec.nodeName=${nodeId}` });
    return list.items;
  }

  /** `pod` delete from the edge: a pod of this node, with the uid precondition when one is given. */
  private async deletePod(nodeId: string, namespace: string, name: string, message: Message): Promise<V1Pod> {
    const uid = typeof message.content === 'string' && message.content !== '' ? message.content : undefined;
    const pod = await this.podOfNode(nodeId, namespace, name);
    await this.core.deleteNamespacedPod({
      name,
      namespace,
      gracePeriodSeconds: 0,
      body: { gracePeriodSeconds: 0, ...(uid !== undefined ? { preconditions: { uid } } : {}) },
    });
    return pod;
  }

  /** A token for a service account a pod of this node runs as (the Node authorizer's rule). */
  private async serviceAccountToken(
    nodeId: string,
    namespace: string,
    name: string,
    message: Message,
  ): Promise<unknown> {
    const request = objectContent<AuthenticationV1TokenRequest>(message, 'a TokenRequest');
    const pods = await this.podsOfNode(nodeId, namespace);
    if (!pods.some((pod) => (pod.spec?.serviceAccountName || 'default') === name)) {
      throw new Refusal(`no pod of node "${nodeId}" runs as service account ${namespace}/${name}`);
    }
    const bound = request.spec?.boundObjectRef;
    if (bound?.kind === 'Pod' && !pods.some((p) => p.metadata?.name === bound.name)) {
      throw new Refusal(
        `the token is bound to pod ${namespace}/${bound.name ?? ''}, which is not on node "${nodeId}"`,
      );
    }
    const token = await this.core.createNamespacedServiceAccountToken({
      name,
      namespace,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { name, namespace },
        spec: { audiences: request.spec?.audiences ?? [], ...request.spec },
      },
    });
    return { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', ...token };
  }

  /**
   * A configmap or secret for a node, if a pod bound to it references it (volumes, env, envFrom,
   * projected, imagePullSecrets: the downstream rules), as the bare object with TypeMeta.
   */
  private async queryReferenced(
    nodeId: string,
    kind: keyof PodReferences,
    namespace: string,
    name: string,
  ): Promise<unknown> {
    const pods = await this.podsOfNode(nodeId, namespace);
    if (!pods.some((pod) => podReferences(pod)[kind].includes(name))) {
      throw new Refusal(
        `no pod of node "${nodeId}" references ${kind === 'secrets' ? 'secret' : 'configmap'} ${namespace}/${name}`,
      );
    }
    const object =
      kind === 'secrets'
        ? { apiVersion: 'v1', kind: 'Secret', ...(await this.core.readNamespacedSecret({ name, namespace })) }
        : {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            ...(await this.core.readNamespacedConfigMap({ name, namespace })),
          };
    return object;
  }

  /** `event` insert: records the Event, which must be about a pod of this node or the node. */
  private async createEvent(
    nodeId: string,
    namespace: string,
    name: string,
    message: Message,
  ): Promise<CoreV1Event> {
    const event = objectContent<CoreV1Event>(message, 'an Event');
    checkContentName(event, name);
    const about = event.involvedObject;
    if (about?.kind === 'Node') {
      if (about.name !== nodeId)
        throw new Refusal(`node "${nodeId}" may not report events about node "${about.name}"`);
    } else if (about?.kind === 'Pod' && about.name) {
      await this.podOfNode(nodeId, about.namespace ?? namespace, about.name);
    } else {
      throw new Refusal('an edge event must be about a Pod or the Node');
    }
    const body: CoreV1Event = {
      ...event,
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { ...event.metadata, name, namespace },
    };
    return this.core.createNamespacedEvent({ namespace, body });
  }

  /** `createOrUpdateLease`: insert → create, update → replace. */
  private writeLease(name: string, operation: string, message: Message): Promise<V1Lease> {
    const lease = objectContent<V1Lease>(message, 'a Lease');
    checkContentName(lease, name);
    const body: V1Lease = {
      ...lease,
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...lease.metadata, name, namespace: NODE_LEASE_NAMESPACE },
    };
    const replace = (): Promise<V1Lease> =>
      this.coordination.replaceNamespacedLease({ name, namespace: NODE_LEASE_NAMESPACE, body });
    if (operation !== 'insert') return replace();
    // An edgecore restarted with its lease still there sends `insert` again; KubeEdge's lease
    // controller gets first and updates. We create and fall back to update on AlreadyExists, which
    // saves the get on the common path.
    return this.coordination
      .createNamespacedLease({ namespace: NODE_LEASE_NAMESPACE, body })
      .catch((err: unknown) => {
        if (apiStatusCode(err) !== 409) throw err;
        return replace();
      });
  }

  /**
   * Runs a Kubernetes write and wraps its outcome in `ObjectResp`. An API failure is an answer, not
   * a refusal: `{"Object":null,"Err":{"ErrStatus":…}}` in a `response`, as KubeEdge sends it.
   * Content we cannot read is refused before any call (thrown out of `run`).
   */
  private async objectReply<T extends { metadata?: { resourceVersion?: string } }>(
    request: Message,
    run: () => Promise<T>,
  ): Promise<Message> {
    let object: T;
    try {
      object = await run();
    } catch (err) {
      if (err instanceof Refusal || err instanceof InvalidInputError) throw err;
      const status = toStatus(err);
      this.logger.warn('kubernetes call for upstream message failed', {
        msgId: request.header.msg_id,
        resource: request.route.resource,
        code: status.code,
        error: status.message,
      });
      return this.reply(request, { Object: null, Err: { ErrStatus: status } } satisfies ObjectResp<T>);
    }
    // reply() turns the typed object into wire JSON, once.
    const content: ObjectResp<T> = { Object: object, Err: null };
    return this.reply(request, content, object.metadata?.resourceVersion);
  }

  private reply(request: Message, content: unknown, resourceVersion?: string): Message {
    const rv =
      resourceVersion ??
      (content as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
    return this.builder.newMessage({
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: trimNodePrefix(request.route.resource ?? ''),
      content: plain(content),
      parentId: request.header.msg_id,
      ...(rv ? { resourceVersion: rv } : {}),
    });
  }

  private errorReply(request: Message, error: string): Message {
    const reply = this.builder.newErrorResponse(request, error);
    if (reply.route.resource) reply.route.resource = safeTrim(reply.route.resource);
    return reply;
  }
}

/** The content as a JSON object (string JSON or object, §1.1), or a refusal. */
function objectContent<T>(message: Message, what: string): T {
  const value = contentAsJson<unknown>(message);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`content must be ${what} object, got ${describe(value)}`);
  }
  return value as T;
}

/**
 * A nodepatch body: a JSON object, a string holding JSON, or — KubeEdge's own wire form — a base64url
 * string of the JSON (`upstream.go` `patchNode`: `base64.URLEncoding.DecodeString`).
 */
function patchContent(message: Message): object {
  const c = message.content;
  if (typeof c === 'string') {
    const text = c.trimStart();
    const json = text.startsWith('{') ? text : Buffer.from(c, 'base64url').toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new InvalidInputError('nodepatch content is neither JSON nor base64url-encoded JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidInputError(`nodepatch content must be a JSON object, got ${describe(parsed)}`);
    }
    return parsed;
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw new InvalidInputError(`nodepatch content must be a JSON object, got ${describe(c)}`);
  }
  return c;
}

function checkContentName(obj: { metadata?: { name?: string } }, name: string): void {
  const sent = obj.metadata?.name;
  if (sent !== undefined && sent !== name) {
    throw new Refusal(`content names "${sent}" but the resource names "${name}"`);
  }
}

/** The API server's Status for a failed call, or a synthesised InternalError one. */
function toStatus(err: unknown): KubeStatus {
  const code = apiStatusCode(err);
  const body = typeof err === 'object' && err !== null && 'body' in err ? err.body : undefined;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  if (typeof parsed === 'object' && parsed !== null && 'kind' in parsed && parsed.kind === 'Status') {
    const s = parsed as Partial<KubeStatus>;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: s.message ?? errorMessage(err),
      reason: s.reason ?? '',
      code: s.code ?? code ?? 500,
      ...(s.details !== undefined ? { details: s.details } : {}),
    };
  }
  return {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message: errorMessage(err),
    reason: 'InternalError',
    code: code ?? 500,
  };
}

/** client-node's typed objects (with `Date` fields) as plain wire JSON. */
function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function safeTrim(resource: string): string {
  try {
    return trimNodePrefix(resource);
  } catch {
    return resource;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}
