/**
 * A client of the control HTTP API (control-server.ts), for a scenario runner that drives a
 * simulator running in another process. Errors from the API become InvalidInputError (4xx) or
 * EdgeproofError (5xx, unreachable) with the server's message.
 */
import { EdgeproofError, errorMessage, InvalidInputError } from '@edgeproof/core';
import type { FaultSpec } from '../faults/fault-spec.ts';
import type { SignalModel } from '../signals/signal-model.ts';
import type { PointSnapshot, SimulatorState } from '../simulator.ts';

/** A signal as the API accepts it: durations may be strings such as `10s`. */
export type SignalInput = SignalModel | Record<string, unknown>;

export class SimulatorControlClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  /** @param baseUrl `http://127.0.0.1:PORT`, as the simulator printed it. */
  constructor(baseUrl: string, options: { timeoutMs?: number } = {}) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  state(): Promise<SimulatorState> {
    return this.call<SimulatorState>('GET', '/state');
  }

  points(): Promise<PointSnapshot[]> {
    return this.call<PointSnapshot[]>('GET', '/points');
  }

  point(name: string): Promise<PointSnapshot> {
    return this.call<PointSnapshot>('GET', `/points/${encodeURIComponent(name)}`);
  }

  setFault(fault: FaultSpec | Record<string, unknown>): Promise<FaultSpec> {
    return this.call<FaultSpec>('PUT', '/faults', fault);
  }

  clearFault(): Promise<FaultSpec> {
    return this.call<FaultSpec>('DELETE', '/faults');
  }

  setSignal(name: string, signal: SignalInput): Promise<PointSnapshot> {
    return this.call<PointSnapshot>('PUT', `/points/${encodeURIComponent(name)}/signal`, signal);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
          : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new EdgeproofError(
        'EUNAVAILABLE',
        `simulator control API at ${this.base}: ${errorMessage(err)}`,
        {
          cause: err,
          retriable: true,
        },
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EdgeproofError('EPROTOCOL', `${method} ${path}: ${res.status} with a body that is not JSON`);
    }
    if (!res.ok) {
      const message = (json as { error?: { message?: string } }).error?.message ?? `HTTP ${res.status}`;
      if (res.status >= 400 && res.status < 500) throw new InvalidInputError(`${method} ${path}: ${message}`);
      throw new EdgeproofError('EINTERNAL', `${method} ${path}: ${message}`);
    }
    return json as T;
  }
}
