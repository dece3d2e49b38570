// Mappers (issue 5): Modbus and OPC UA devices, driven by edgecore or standalone, speaking to
// edgecore only over MQTT on the $hw/events/device/... topics (kubeedge-protocol.md §7.2).
export {
  MapperManager,
  DEFAULT_MAPPER_PROTOCOLS,
  DEVICE_BACKOFF,
  type MapperManagerOptions,
  type MapperDeviceStatus,
} from './mapper-manager.ts';
export { runStandaloneMapper, type StandaloneMapperOptions } from './standalone.ts';
export { loadDeviceManifests, type DeviceManifests } from './device-manifests.ts';
export type { DeviceDriver, DriverContext, DriverEvents, MapperProtocol } from './driver.ts';
export type { DeviceTarget, PropertySpec, PushMqttTarget } from './device-properties.ts';
export type { PropertyStatus } from './device-runner.ts';
export { MAPPER_DEVICE_STATES, type MapperDeviceState, type PushedDataModel } from './payloads.ts';
export {
  DeviceLinkError,
  DeviceOperationError,
  WriteRefusedError,
  BrokerUnavailableError,
} from './mapper-errors.ts';
export { modbusProtocol } from './modbus/modbus-driver.ts';
export { opcuaProtocol } from './opcua/opcua-driver.ts';
