/** The typed module bus (ARCHITECTURE.md §4): public surface of `core/src/bus`. */
export { ModuleBus, DEFAULT_REQUEST_TIMEOUT_MS, type ModuleBusOptions } from './bus.ts';
export { DEFAULT_RESTART_POLICY } from './restart-backoff.ts';
export {
  BusNotStartedError,
  BusStoppedError,
  BusTimeoutError,
  DuplicateModuleError,
  MailboxFullError,
  ModuleFailedError,
  TopicNotAcceptedError,
  UnknownModuleError,
} from './errors.ts';
export type {
  BusEnvelope,
  BusHandler,
  BusTopic,
  BusTopicMap,
  Fanout,
  MailboxOptions,
  ModuleContext,
  ModuleOptions,
  ModuleState,
  ModuleStats,
  OverflowPolicy,
  RequestOptions,
  RequestStats,
  RestartPolicy,
  SendOptions,
} from './types.ts';
