// @edgeproof/simulators: Modbus (TCP and RTU over TCP) and OPC UA device simulators with signal
// models and run-time faults, a control HTTP API to drive them from another process, and the
// mapping from KubeEdge DeviceModel + Device to simulated points (ARCHITECTURE.md §2 "simulators/").
// Simulators reach the edge only over Modbus or OPC UA, as real devices do.
export {
  ModbusSimulator,
  DEFAULT_MODBUS_PORT,
  type ModbusSimulatorOptions,
} from './modbus/modbus-simulator.ts';
export { OpcUaSimulator, DEFAULT_OPCUA_PORT, type OpcUaSimulatorOptions } from './opcua/opcua-simulator.ts';
export { createSimulator, type CreateSimulatorOptions } from './create-simulator.ts';
export type { Simulator, SimulatorState, PointSnapshot } from './simulator.ts';

export {
  MODBUS_TABLES,
  MODBUS_DATA_TYPES,
  MODBUS_TRANSPORTS,
  type ModbusPoint,
  type ModbusTable,
  type ModbusDataType,
  type ModbusTransport,
} from './modbus/modbus-point.ts';
export type { ModbusSettings } from './modbus/modbus-config.ts';
export { encodeRegisters, decodeRegisters } from './modbus/codec.ts';
export { crc16 } from './modbus/crc16.ts';
export {
  OPCUA_DATA_TYPES,
  OPCUA_SECURITY_POLICIES,
  OPCUA_SECURITY_MODES,
  type OpcUaPoint,
  type OpcUaDataType,
  type OpcUaSecurityPolicy,
  type OpcUaSecurityMode,
  type OpcUaUser,
} from './opcua/opcua-point.ts';
export type { OpcUaSettings } from './opcua/opcua-config.ts';

export {
  SIGNAL_KINDS,
  type SignalModel,
  type SignalKind,
  type SignalValue,
  type ConstantSignal,
  type SineSignal,
  type RampSignal,
  type RandomWalkSignal,
  type StepsSignal,
  type ReplaySignal,
} from './signals/signal-model.ts';
export { evaluateSignal, type SignalFunction } from './signals/evaluate-signal.ts';
export { parseSignalModel } from './signals/parse-signal.ts';
export { describeSignal } from './signals/describe-signal.ts';
export { parseCsvSamples, readCsvSamples } from './signals/csv.ts';
export type { PointSource } from './points/point-store.ts';

export {
  FAULT_MODES,
  MODBUS_EXCEPTION_CODES,
  parseFault,
  type FaultSpec,
  type FaultMode,
  type SimulatorProtocol,
} from './faults/fault-spec.ts';

export { loadSimulatorConfig, type LoadConfigOptions } from './config/load-config.ts';
export {
  pointsFromDevice,
  type PointsFromDeviceOptions,
  type SimulatorConfig,
  type ModbusSimulatorConfig,
  type OpcUaSimulatorConfig,
} from './device/points-from-device.ts';
export { ConfigError, formatIssue, type ConfigIssue } from './config/config-error.ts';

export { SimulatorControlServer, type ControlServerOptions } from './control/control-server.ts';
export { SimulatorControlClient, type SignalInput } from './control/control-client.ts';
export { parseDuration, formatDuration } from './duration.ts';
