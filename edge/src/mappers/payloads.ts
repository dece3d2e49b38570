/**
 * The JSON a mapper publishes and reads on the edge broker (kubeedge-protocol.md §7.2–7.3).
 *
 * - twin/update: `{event_id, timestamp, twin:{<prop>:{actual:{value, metadata:{timestamp}},
 *   metadata:{type}}}}`, the shape of mappers-go `mappers/common/event.go` CreateMessageTwinUpdate
 *   (types in `mappers/common/event_type.go`: MsgTwin, TwinValue, TypeMetadata). mappers-go leaves
 *   `event_id` empty and the value timestamp unset; here both are filled (a UUID, the read time).
 *   `metadata.type` is the DeviceModel type in lower case (`int`, `float`, …), as mapper-framework
 *   lower-cases `DataType` (`device/device.go` dataHandler).
 * - state/update: `{event_id, timestamp, state}` (CreateMessageState; mappers-go's DeviceUpdate).
 * - twin/update/delta, from edgecore: `{event_id, timestamp, twin:{…}, delta:{<prop>:"<expected>"}}`
 *   (`edge/pkg/devicetwin/dttype/types.go` DeviceTwinDelta; mappers-go's copy in event_type.go).
 * - pushMethod.mqtt: mapper-framework publishes the text `time is <date>  <topic>: <value>`
 *   (`_template/mapper/data/publish/mqtt/client.go` Push), which a program cannot parse reliably.
 *   edgeproof publishes its `DataModel` (`pkg/common/datamodel.go`) as JSON instead, with the Go
 *   field names encoding/json gives that untagged struct: `{DeviceName, PropertyName, Namespace,
 *   Value, Type, TimeStamp}`.
 */
import { randomUUID } from 'node:crypto';
import { InvalidInputError, type DeviceStateRequest, type DeviceTwinUpdate } from '@edgeproof/core';

/** The states edgeproof's mappers report (ARCHITECTURE: offline = cannot connect; unhealthy = connected, reads fail). */
export const MAPPER_DEVICE_STATES = ['online', 'offline', 'unhealthy'] as const;
export type MapperDeviceState = (typeof MAPPER_DEVICE_STATES)[number];

/** One reading on its way to the twin. */
export type TwinReading = {
  property: string;
  value: string;
  /** Lower-case DeviceModel type (`metadata.type` on the wire). */
  type: string;
  /** When the device was read, ms. */
  timestamp: number;
};

/** mapper-framework's DataModel, as edgeproof publishes it on `pushMethod.mqtt.topic`. */
export type PushedDataModel = {
  DeviceName: string;
  PropertyName: string;
  Namespace: string;
  Value: string;
  Type: string;
  TimeStamp: number;
};

export function newEventId(): string {
  return randomUUID();
}

/** A twin/update carrying actual values. */
export function twinUpdatePayload(
  readings: readonly TwinReading[],
  now: number,
  eventId = newEventId(),
): DeviceTwinUpdate {
  const twin: DeviceTwinUpdate['twin'] = {};
  for (const r of readings) {
    twin[r.property] = {
      actual: { value: r.value, metadata: { timestamp: r.timestamp } },
      metadata: { type: r.type },
    };
  }
  return { event_id: eventId, timestamp: now, twin };
}

/** A state/update. */
export function stateUpdatePayload(
  state: MapperDeviceState,
  now: number,
  eventId = newEventId(),
  reason?: string,
): DeviceStateRequest {
  // `reason` is edgeproof's: why a device is offline or unhealthy. KubeEdge's edgecore ignores it.
  return { event_id: eventId, timestamp: now, state, ...(reason ? { reason } : {}) };
}

/** What is published to a property's pushMethod.mqtt topic. */
export function pushPayload(namespace: string, deviceName: string, reading: TwinReading): PushedDataModel {
  return {
    DeviceName: deviceName,
    PropertyName: reading.property,
    Namespace: namespace,
    Value: reading.value,
    Type: reading.type,
    TimeStamp: reading.timestamp,
  };
}

/**
 * The expected values of a twin/update/delta: `delta` when present; otherwise, for a sender that
 * only fills `twin`, each twin's `expected.value`.
 * @throws InvalidInputError when the payload is not JSON or `delta` is not a map of strings.
 */
export function parseTwinDelta(payload: string | Uint8Array, where: string): Record<string, string> {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`${where}: payload is not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new InvalidInputError(`${where}: payload must be a JSON object {event_id, timestamp, twin, delta}`);
  }
  const out: Record<string, string> = {};
  const delta = (doc as Record<string, unknown>)['delta'];
  if (delta !== undefined && delta !== null) {
    if (typeof delta !== 'object' || Array.isArray(delta)) {
      throw new InvalidInputError(`${where}: delta must be a map of property name to expected value`);
    }
    for (const [name, value] of Object.entries(delta)) {
      if (typeof value !== 'string') {
        throw new InvalidInputError(
          `${where}: delta.${name} must be a string (twin values travel as strings)`,
        );
      }
      out[name] = value;
    }
    return out;
  }
  const twin = (doc as Record<string, unknown>)['twin'];
  if (typeof twin === 'object' && twin !== null && !Array.isArray(twin)) {
    for (const [name, t] of Object.entries(twin)) {
      const expected = (t as { expected?: { value?: unknown } } | null)?.expected?.value;
      if (typeof expected === 'string') out[name] = expected;
    }
  }
  return out;
}
