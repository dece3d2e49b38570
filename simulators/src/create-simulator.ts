/** Builds the simulator a configuration describes (no I/O until start()). */
import type { Clock, Logger } from '@edgeproof/core';
import type { SimulatorConfig } from './device/points-from-device.ts';
import { ModbusSimulator } from './modbus/modbus-simulator.ts';
import { OpcUaSimulator } from './opcua/opcua-simulator.ts';

export type CreateSimulatorOptions = {
  clock?: Clock;
  logger?: Logger;
  /** Overrides the configured host and port (0 = any free port). */
  host?: string;
  port?: number;
  /** OPC UA: where the PKI folders go (default a temporary folder removed at stop()). */
  dataDir?: string;
};

export function createSimulator(
  config: SimulatorConfig,
  options: CreateSimulatorOptions = {},
): ModbusSimulator | OpcUaSimulator {
  const { clock, logger, host, port, dataDir } = options;
  const common = {
    ...(clock ? { clock } : {}),
    ...(logger ? { logger } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
  };
  if (config.protocol === 'modbus') {
    const { protocol: _p, ...settings } = config;
    return new ModbusSimulator({ ...settings, ...common });
  }
  const { protocol: _p, ...settings } = config;
  return new OpcUaSimulator({ ...settings, ...common, ...(dataDir !== undefined ? { dataDir } : {}) });
}
