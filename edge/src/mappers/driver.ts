/**
 * What a protocol (Modbus, OPC UA, …) provides to the mapper: a factory that validates a Device's
 * configData without I/O, and a driver that talks to one device. The device runner owns timing,
 * state and MQTT; a driver only moves values (the split of mapper-framework's `driver/` and
 * `device/` packages, `staging/src/github.com/kubeedge/mapper-framework/_template/mapper`).
 */
import type { Clock, Logger } from '@edgeproof/core';
import type { DeviceTarget } from './device-properties.ts';

/** What a driver tells the runner between calls. */
export interface DriverEvents {
  /** A value arrived without being asked for (an OPC UA subscription). `value` is twin text. */
  value(property: string, value: string, timestamp?: number): void;
  /** A pushed property cannot be served (e.g. its node does not exist). */
  propertyError(property: string, error: Error): void;
  /** The link broke. The runner closes the driver and reconnects with back-off. */
  lost(error: Error): void;
}

/**
 * One connection to one device. Calls never overlap: the runner serialises them. Errors are
 * `DeviceLinkError` when the link is gone, `DeviceOperationError` when the device refused,
 * `WriteRefusedError` / `InvalidInputError` when a desired value cannot be written.
 */
export interface DeviceDriver {
  /** Properties whose values the driver delivers through `DriverEvents.value` instead of being polled. */
  pushedProperties(): ReadonlySet<string>;
  /** Opens the link (and any subscriptions). Rejects with `DeviceLinkError` when it cannot. */
  connect(events: DriverEvents): Promise<void>;
  /** Reads one property and returns it as twin text. */
  read(property: string): Promise<string>;
  /** Writes a desired value (twin text) to one property. */
  write(property: string, value: string): Promise<void>;
  /** Closes the link; safe to call when not connected, and more than once. */
  close(): Promise<void>;
}

/** What a driver may use. */
export type DriverContext = {
  clock: Clock;
  logger: Logger;
  /** A directory this protocol may write to (OPC UA keeps its PKI there). */
  dataDir: string;
};

/** A protocol the mapper manager can route Devices to, by `spec.protocol.protocolName`. */
export interface MapperProtocol {
  readonly name: string;
  /**
   * Checks the Device's protocol and visitor configData and returns a driver for it. Does no I/O.
   * @throws InvalidInputError naming the Device, property and key that is wrong.
   */
  createDriver(target: DeviceTarget, context: DriverContext): DeviceDriver;
}
