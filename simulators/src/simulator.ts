/**
 * What both simulators offer, so the control HTTP API, the CLI and scenarios handle them alike.
 * Instance-scoped (ARCHITECTURE.md §4): constructors validate and do no I/O; start()/stop() do.
 */
import type { FaultSpec, SimulatorProtocol } from './faults/fault-spec.ts';
import type { PointSource } from './points/point-store.ts';
import type { SignalModel, SignalValue } from './signals/signal-model.ts';

/** One point as the control API shows it. */
export type PointSnapshot = {
  name: string;
  /** The value a client reads now (after encoding: quantised by scale and type). */
  value: SignalValue;
  signal: SignalModel;
  /** Who set the signal: the configuration, the API, or a client write. */
  source: PointSource;
  /** When the current signal started (ISO 8601); absent before start(). */
  since?: string;
  writable: boolean;
  /** Where it lives: `HoldingRegister 0 float32`, `ns=1;s=Boiler.Temperature Double`. */
  address: string;
  /** Modbus only: the registers (or bit) a read returns now, in wire order. */
  registers?: number[];
};

export type SimulatorState = {
  protocol: SimulatorProtocol;
  name: string;
  /** `127.0.0.1:5020`, `opc.tcp://127.0.0.1:4840`; absent while stopped. */
  endpoint?: string;
  fault: FaultSpec;
  /** Open client connections and requests handled since start. */
  stats: { connections: number; requests: number };
  points: PointSnapshot[];
};

export interface Simulator {
  readonly protocol: SimulatorProtocol;
  start(): Promise<void>;
  /** Closes the listener and every client connection; pending delayed responses are dropped. */
  stop(): Promise<void>;
  /** The port actually listened on (useful with port 0); undefined while stopped. */
  port(): number | undefined;
  endpoint(): string | undefined;
  /** @throws InvalidInputError when the fault is malformed or not supported by this protocol. */
  setFault(fault: FaultSpec | Record<string, unknown>): FaultSpec;
  clearFault(): void;
  fault(): FaultSpec;
  /** Replaces a point's signal; its time starts now. @throws InvalidInputError for an unknown point. */
  setSignal(name: string, signal: SignalModel): void;
  points(): PointSnapshot[];
  state(): SimulatorState;
}
