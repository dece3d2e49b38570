/**
 * Fault modes a simulator can be switched into at run time, through its API or the control HTTP
 * API. One mode is active at a time; `points` narrows a mode to requests that touch those points.
 */
import { InvalidInputError } from '@edgeproof/core';
import { isObject, describe } from '../config/fields.ts';

/**
 * Modbus exception codes (MODBUS Application Protocol Specification V1.1b3 §7 "MODBUS Exception
 * Responses"), by the names the control API accepts.
 */
export const MODBUS_EXCEPTION_CODES = {
  'illegal-function': 0x01,
  'illegal-data-address': 0x02,
  'illegal-data-value': 0x03,
  'server-device-failure': 0x04,
  acknowledge: 0x05,
  'server-device-busy': 0x06,
  'memory-parity-error': 0x08,
  'gateway-path-unavailable': 0x0a,
  'gateway-target-failed-to-respond': 0x0b,
} as const;

export type FaultSpec =
  /** Normal operation. */
  | { mode: 'none' }
  /**
   * Requests are read and swallowed: the client times out, and writes are not applied. OPC UA holds
   * the request instead (node-opcua cannot drop one) and answers when the fault changes: a read
   * with the value then, a write with BadTimeout and without applying it.
   */
  | { mode: 'no-response'; points?: string[] }
  /** Modbus only: requests get an exception response with `code` (§7); writes are not applied. */
  | { mode: 'exception'; code: number; points?: string[] }
  /** Responses are sent `ms` late (writes apply at once). */
  | { mode: 'delay'; ms: number; points?: string[] }
  /**
   * Modbus only: connections are closed — at once (and every new one on connect) when
   * `afterRequests` is 0 (the default), otherwise when a connection receives its next request
   * after `afterRequests` further answered ones. `reset` sends a TCP RST instead of a FIN.
   */
  | { mode: 'drop'; afterRequests?: number; reset?: boolean }
  /** OPC UA only: reads (and writes) of the points return `statusCode` (default BadCommunicationError). */
  | { mode: 'bad-status'; statusCode?: string; points?: string[] };

export type FaultMode = FaultSpec['mode'];
export type SimulatorProtocol = 'modbus' | 'opcua';

/** The modes each protocol supports. */
export const FAULT_MODES: Record<SimulatorProtocol, readonly FaultMode[]> = {
  modbus: ['none', 'no-response', 'exception', 'delay', 'drop'],
  opcua: ['none', 'no-response', 'delay', 'bad-status'],
};

/** Longest delay a fault may ask for: a day is plenty and keeps timers sane. */
const MAX_DELAY_MS = 86_400_000;

/**
 * Checks a fault from JSON (the control API) or code.
 * @throws InvalidInputError saying which field is wrong and what is allowed.
 */
export function parseFault(
  value: unknown,
  protocol: SimulatorProtocol,
  pointNames: readonly string[],
): FaultSpec {
  const fail = (message: string): never => {
    throw new InvalidInputError(`fault: ${message}`);
  };
  if (!isObject(value)) return fail(`must be a JSON object with a mode, not ${describe(value)}`);
  const modes = FAULT_MODES[protocol];
  const mode = value.mode;
  if (typeof mode !== 'string' || !(modes as readonly string[]).includes(mode)) {
    return fail(`mode ${describe(mode)} is not a ${protocol} fault; use one of ${modes.join(', ')}`);
  }
  const allowed: Record<FaultMode, readonly string[]> = {
    none: ['mode'],
    'no-response': ['mode', 'points'],
    exception: ['mode', 'code', 'points'],
    delay: ['mode', 'ms', 'points'],
    drop: ['mode', 'afterRequests', 'reset'],
    'bad-status': ['mode', 'statusCode', 'points'],
  };
  const fields = allowed[mode as FaultMode];
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) fail(`${key} is not a field of mode ${mode}; expected ${fields.join(', ')}`);
  }
  const points = (): { points?: string[] } => {
    if (value.points === undefined) return {};
    const list = value.points;
    if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string')) {
      return fail('points must be a non-empty list of point names');
    }
    const unknown = list.filter((p) => !pointNames.includes(p));
    if (unknown.length > 0) fail(`unknown point ${unknown.join(', ')}; points are ${pointNames.join(', ')}`);
    return { points: list };
  };
  switch (mode as FaultMode) {
    case 'none':
      return { mode: 'none' };
    case 'no-response':
      return { mode: 'no-response', ...points() };
    case 'exception': {
      const code = exceptionCode(value.code);
      if (code === undefined) {
        return fail(
          `code must be a Modbus exception code 1-255 or one of ${Object.keys(MODBUS_EXCEPTION_CODES).join(', ')}, not ${describe(value.code)}`,
        );
      }
      return { mode: 'exception', code, ...points() };
    }
    case 'delay': {
      const ms = value.ms;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) {
        return fail(`ms must be a number of milliseconds from 0 to ${MAX_DELAY_MS}, not ${describe(ms)}`);
      }
      return { mode: 'delay', ms, ...points() };
    }
    case 'drop': {
      const after = value.afterRequests;
      if (after !== undefined && (typeof after !== 'number' || !Number.isInteger(after) || after < 0)) {
        return fail(`afterRequests must be a whole number ≥ 0, not ${describe(after)}`);
      }
      if (value.reset !== undefined && typeof value.reset !== 'boolean') {
        return fail(`reset must be true or false, not ${describe(value.reset)}`);
      }
      return {
        mode: 'drop',
        ...(after !== undefined ? { afterRequests: after } : {}),
        ...(value.reset !== undefined ? { reset: value.reset } : {}),
      };
    }
    case 'bad-status': {
      const code = value.statusCode;
      if (code !== undefined && (typeof code !== 'string' || !/^Bad[A-Za-z]+$/.test(code))) {
        return fail(
          `statusCode must be the name of an OPC UA Bad status such as BadCommunicationError, not ${describe(code)}`,
        );
      }
      return { mode: 'bad-status', ...(code !== undefined ? { statusCode: code } : {}), ...points() };
    }
  }
}

function exceptionCode(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 255) return value;
  if (typeof value === 'string' && value in MODBUS_EXCEPTION_CODES) {
    return MODBUS_EXCEPTION_CODES[value as keyof typeof MODBUS_EXCEPTION_CODES];
  }
  return undefined;
}

/** Whether a fault applies to a request touching `touched` points. */
export function faultApplies(fault: FaultSpec, touched: readonly string[]): boolean {
  if (!('points' in fault) || fault.points === undefined) return true;
  return touched.some((name) => fault.points?.includes(name));
}
