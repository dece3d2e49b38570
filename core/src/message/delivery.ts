/**
 * Which cloud → edge messages cloudhub sends once and forgets (NoAck) and which it resends until
 * the edge ACKs them (kubeedge-protocol.md §3.1), and the key each is queued under.
 *
 * Sources: `cloud/pkg/cloudhub/dispatcher/message_dispatcher.go` (noAckRequired, isVolumeOperation)
 * and `cloud/pkg/cloudhub/common/helper.go` (AckMessageKeyFunc, NoAckMessageKeyFunc).
 *
 * Both functions take the message as cloudcore holds it, before TrimMessage: the resource still
 * starts with `node/<nodeID>/`, and the resource type is its fourth segment (messagelayer
 * GetResourceType). Pure: no I/O, no clock.
 */
import { InvalidInputError } from '../errors.ts';
import type { Message } from './message.ts';
import { K8S_CA_RESOURCE, MESSAGE_OK, isCsiOperation } from './vocabulary.ts';

/** Resource substrings that make a message NoAck (noAckRequired's `strings.Contains` cases). */
const NO_ACK_RESOURCE_PARTS = [
  'podlist',
  'membership',
  'twin/cloud_updated',
  'serviceaccounttoken',
  K8S_CA_RESOURCE,
];

/** Resource types edgecontroller sends NoAck whatever the operation (node is handled apart). */
const EDGECONTROLLER_NO_ACK_TYPES: ReadonlySet<string> = new Set([
  'lease',
  'nodepatch',
  'podpatch',
  'podstatus',
  'certificatesigningrequest',
]);

/**
 * True when cloudhub sends `m` once without waiting for an ACK (§3.1). Everything else is queued by
 * `ackKey`, resent until the edge answers with a `response` whose parent_msg_id is its id (§3.2).
 */
export function isNoAckMessage(m: Message): boolean {
  const resource = m.route.resource ?? '';
  const operation = m.route.operation ?? '';
  const source = m.route.source ?? '';

  if (NO_ACK_RESOURCE_PARTS.some((part) => resource.includes(part))) return true;
  if (isCsiOperation(operation) || operation === 'applicationResponse') return true;
  if (m.route.group === 'user') return true;
  if (source === 'taskmanager' || source === 'nodeupgradejobcontroller') return true;
  // A reply that only says "OK", or carries an error: the edge asked, and will ask again.
  // Go tests `Content.(error)`; a Go error never survives JSON, so the analogue is an Error object
  // put in the content by our own cloud code before encoding.
  if (operation === 'response' && (m.content === MESSAGE_OK || m.content instanceof Error)) return true;

  if (source === 'edgecontroller') {
    const resourceType = resource.split('/')[3] ?? '';
    if (EDGECONTROLLER_NO_ACK_TYPES.has(resourceType)) return true;
    // §3.1: a node is NoAck unless it is an update. (The noAckRequired we could read at the source
    // makes every node message NoAck; the protocol doc, at master 16cd8548, keeps updates ACKed.
    // A real edgecore ACKs node updates either way: MetaManager answers every update it stores.)
    if (resourceType === 'node' && operation !== 'update') return true;
    if (resourceType === 'pod' && operation === 'response') return true;
  }
  return false;
}

/**
 * The key cloudhub queues `m` under (§3.1):
 * - NoAck messages: the msg_id (NoAckMessageKeyFunc);
 * - Ack messages of group `resource`: the object's `content.metadata.uid` (AckMessageKeyFunc), so a
 *   newer version of an object replaces an older one still queued;
 * - other Ack messages: the msg_id. (Go's AckMessageKeyFunc fails for them and cloudhub drops the
 *   message with a log line; we deliver it, keyed by id.)
 *
 * Throws `InvalidInputError` when an Ack message of group `resource` has no uid.
 */
export function ackKey(m: Message): string {
  if (isNoAckMessage(m) || m.route.group !== 'resource') return m.header.msg_id;
  const uid = contentUid(m.content);
  if (uid === undefined) {
    throw new InvalidInputError(
      `message ${m.header.msg_id} (${m.route.operation ?? ''} ${m.route.resource ?? ''}) needs an ACK but its content has no metadata.uid`,
    );
  }
  return uid;
}

function contentUid(content: unknown): string | undefined {
  if (typeof content !== 'object' || content === null) return undefined;
  const metadata: unknown = Object.hasOwn(content, 'metadata')
    ? (content as { metadata: unknown }).metadata
    : undefined;
  if (typeof metadata !== 'object' || metadata === null || !Object.hasOwn(metadata, 'uid')) return undefined;
  const uid: unknown = (metadata as { uid: unknown }).uid;
  return typeof uid === 'string' && uid !== '' ? uid : undefined;
}
