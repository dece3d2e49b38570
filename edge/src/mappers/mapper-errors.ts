/**
 * Errors a mapper meets at the device (CONVENTIONS.md "Errors are a vocabulary"). The split between a
 * lost link and a refused operation decides the device state (device-runner.ts): a link error makes
 * the device `offline` and starts the reconnect back-off, an operation error makes it `unhealthy`
 * and keeps the connection.
 */
import { EdgeproofError, type ErrorOptions } from '@edgeproof/core';

/** The connection to the device failed or broke (refused, reset, timed out). Retrying can help. */
export class DeviceLinkError extends EdgeproofError {
  constructor(message: string, options: Omit<ErrorOptions, 'retriable'> = {}) {
    super('EDEVICELINK', message, { ...options, retriable: true });
  }
}

/**
 * The device answered, but with an error: a Modbus exception response, an OPC UA Bad status code.
 * The link is fine; the same request will most likely fail again until the device or the visitor
 * configuration changes.
 */
export class DeviceOperationError extends EdgeproofError {
  constructor(message: string, options: Omit<ErrorOptions, 'retriable'> = {}) {
    super('EDEVICEOP', message, { ...options, retriable: false });
  }
}

/** A write the mapper will not send: the property is ReadOnly, the value does not fit, the register cannot be written. */
export class WriteRefusedError extends EdgeproofError {
  constructor(message: string, options: Omit<ErrorOptions, 'retriable'> = {}) {
    super('EWRITEREFUSED', message, { ...options, retriable: false });
  }
}

/** The MQTT broker of the edge (the eventbus) could not be reached. */
export class BrokerUnavailableError extends EdgeproofError {
  constructor(message: string, options: Omit<ErrorOptions, 'retriable'> = {}) {
    super('EBROKER', message, { ...options, retriable: true });
  }
}
