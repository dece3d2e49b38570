/**
 * `edgeproof mapper --config FILE[,FILE] [--mqtt-broker URL] [--node NAME]`: runs edgeproof's Modbus
 * and OPC UA mappers outside edgecore, for Devices given as KubeEdge YAML, as a KubeEdge mapper runs
 * from its own config (issue 5: "run by edgecore or standalone"). It needs only the edge's MQTT
 * broker; use it with `edgeproof join --mappers none`, or beside any KubeEdge edgecore.
 */
import { resolve } from 'node:path';
import { createLogger, InvalidInputError } from '@edgeproof/core';
import { runStandaloneMapper } from '@edgeproof/edge';
import { LOG_LEVEL_FLAG, parseLogLevel, waitForShutdown, type CommandSpec } from './args.ts';

export const mapperCommand: CommandSpec = {
  name: 'mapper',
  usage:
    'edgeproof mapper --config FILE[,FILE] [--mqtt-broker mqtt://127.0.0.1:1884] [--node NAME] [--data-dir DIR]',
  summary:
    'Run the Modbus and OPC UA mappers for the Devices in FILE (KubeEdge Device + DeviceModel YAML) until Ctrl-C,\n' +
    "talking to an edge node's MQTT broker on the $hw/events topics, as KubeEdge mappers do.",
  flags: {
    config: {
      type: 'string',
      value: 'FILE[,FILE]',
      description: 'YAML files with the Devices and their DeviceModels',
    },
    'mqtt-broker': {
      type: 'string',
      value: 'URL',
      description: "the edge node's MQTT broker",
      default: 'mqtt://127.0.0.1:1884',
    },
    node: {
      type: 'string',
      value: 'NAME',
      description: 'run only the Devices whose spec.nodeName is NAME (or unset)',
    },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: 'where the OPC UA client keeps its certificates (default: a temporary folder)',
    },
    'log-level': LOG_LEVEL_FLAG,
  },
};

export async function runMapper(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  const config = typeof values.config === 'string' ? values.config : '';
  const files = config
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '')
    .map((f) => resolve(f));
  if (files.length === 0)
    throw new InvalidInputError('--config FILE is required: the Device and DeviceModel YAML');
  const mqttUrl = String(values['mqtt-broker'] ?? 'mqtt://127.0.0.1:1884');
  const logger = createLogger('edgeproof', { level: parseLogLevel(values['log-level']) }).child('mapper');
  const manager = await runStandaloneMapper({
    devices: files,
    mqttUrl,
    logger,
    ...(typeof values.node === 'string' && values.node !== '' ? { nodeName: values.node } : {}),
    ...(typeof values['data-dir'] === 'string' ? { dataDir: resolve(values['data-dir']) } : {}),
  });
  const shutdown = waitForShutdown(out, () => manager.stop(), logger);
  for (const d of manager.listDevices()) {
    out(
      `edgeproof mapper: ${d.namespace}/${d.name} (${d.protocol ?? 'unknown protocol'})${d.error ? `: not run: ${d.error}` : ''}`,
    );
  }
  out(`edgeproof mapper: ready: ${manager.listDevices().length} device(s) on ${mqttUrl}`);
  await shutdown;
}
