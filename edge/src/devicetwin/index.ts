export {
  DeviceServices,
  createDeviceServices,
  DEFAULT_TWIN_BATCH_DELAY_MS,
  deviceServicePaths,
  type DeviceServicePaths,
  type DeviceServicesOptions,
} from './device-services.ts';
export {
  DeviceTwin,
  type DeviceSnapshot,
  type DeviceTwinOptions,
  type DeviceTwinStats,
} from './device-twin.ts';
export { DeviceStore, type DeviceRecord, type StoredAttr } from './device-store.ts';
export type { StoredTwin } from './stored-twin.ts';
export { ReportOutbox, DEFAULT_RESEND_INTERVAL_MS, type ReportOutboxOptions } from './report-outbox.ts';
export { TWIN_RESULT_CODES, type TwinResultCode } from './result-codes.ts';
