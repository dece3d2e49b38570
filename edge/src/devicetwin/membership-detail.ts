/**
 * `membership/detail`: after a (re)connect DeviceTwin asks the cloud for the full device list of
 * its node and reconciles with the answer (kubeedge-protocol.md §7.4 "After reconnect";
 * `dtmanager/communicate.go` detailRequest, `dtmanager/membership.go` dealMembershipDetail).
 * KubeEdge's cloud ignores the request; edgeproof's answers it (ARCHITECTURE.md §5).
 */
import { InvalidInputError, parseMembershipUpdate, type MembershipDetail } from '@edgeproof/core';

/** The request's route: source `twin` and group `resource`, as detailRequest builds it (BuildModelMessage). */
export const MEMBERSHIP_DETAIL_RESOURCE = 'membership/detail';

/** detailRequest's content (`dttype.GetDetailNode`), sent as a JSON string as KubeEdge does. */
export function detailRequestContent(eventId: string, nodeName: string, now: number): string {
  return JSON.stringify({
    event_type: 'group_membership_event',
    event_id: eventId,
    operation: 'detail',
    group_id: nodeName,
    timestamp: now,
  });
}

/**
 * Parses the cloud's answer, `{event_id, timestamp, devices:[…]}`, with the same device rules as a
 * membership update. @throws InvalidInputError naming the field.
 */
export function parseMembershipDetail(content: unknown, where: string): MembershipDetail {
  let v = content;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch (err) {
      throw new InvalidInputError(`${where}: content is not JSON: ${(err as Error).message}`);
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InvalidInputError(`${where}: content must be a JSON object`);
  const o = v as Record<string, unknown>;
  const devices = o['devices'] ?? [];
  if (!Array.isArray(devices)) throw new InvalidInputError(`${where}: "devices" must be an array`);
  // The device list has the shape of added_devices: one validation for both.
  const parsed = parseMembershipUpdate(
    { event_id: o['event_id'], timestamp: o['timestamp'], added_devices: devices },
    where,
  );
  return { event_id: parsed.event_id, timestamp: parsed.timestamp, devices: parsed.added_devices };
}
