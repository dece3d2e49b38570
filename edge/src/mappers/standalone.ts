/**
 * Runs mappers outside edgecore, from Device and DeviceModel YAML files, as a KubeEdge mapper runs
 * from its configmap (mappers-go `mappers/modbus/configmap/parse.go`). It needs only the edge broker.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, createLogger, errorMessage, type Clock, type Logger } from '@edgeproof/core';
import type { BackoffOptions } from '../edgehub/backoff.ts';
import { loadDeviceManifests } from './device-manifests.ts';
import { MapperManager } from './mapper-manager.ts';

export type StandaloneMapperOptions = {
  /** YAML files, each with any number of Device and DeviceModel documents. */
  devices: readonly string[];
  /** The broker edgecore listens on, e.g. `mqtt://127.0.0.1:1884`. */
  mqttUrl: string;
  /** Default: a folder under the OS temp dir, named after the process. */
  dataDir?: string;
  /** When set, only Devices whose `spec.nodeName` is this node (or unset) are run. */
  nodeName?: string;
  clock?: Clock;
  logger?: Logger;
  backoff?: BackoffOptions;
  brokerTimeoutMs?: number;
  /** Stops the mappers when aborted. */
  signal?: AbortSignal;
};

/**
 * Reads the files, starts a MapperManager and adds every Device that has its DeviceModel. Devices
 * without one, and other kinds, are logged and skipped; a bad Device is reported by the manager and
 * does not stop the others. Resolves with the running manager; call `stop()` (or abort `signal`).
 * @throws InvalidInputError when a file cannot be read or is not valid YAML, or holds no Device.
 * @throws BrokerUnavailableError when the broker cannot be reached.
 */
export async function runStandaloneMapper(options: StandaloneMapperOptions): Promise<MapperManager> {
  const logger = options.logger ?? createLogger('mapper');
  const sources = await Promise.all(
    options.devices.map(async (path) => {
      try {
        return { text: await readFile(path, 'utf8'), source: path };
      } catch (err) {
        throw new InvalidInputError(`cannot read device file ${path}: ${errorMessage(err)}`, { cause: err });
      }
    }),
  );
  const { devices, problems } = loadDeviceManifests(sources);
  for (const p of problems) logger.warn(p);
  const selected = devices.filter(({ device }) => {
    const node = device.spec.nodeName;
    const mine = options.nodeName === undefined || node === undefined || node === options.nodeName;
    if (!mine)
      logger.info(
        `skipping Device ${device.metadata.namespace}/${device.metadata.name}: it is for node ${node}`,
      );
    return mine;
  });
  if (selected.length === 0) {
    throw new InvalidInputError(
      `no Device to run in ${options.devices.join(', ')}${problems.length ? ` (${problems.join('; ')})` : ''}`,
    );
  }
  const manager = new MapperManager({
    mqttUrl: options.mqttUrl,
    dataDir: options.dataDir ?? join(tmpdir(), `edgeproof-mapper-${process.pid}`),
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.nodeName ? { nodeName: options.nodeName } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.brokerTimeoutMs ? { brokerTimeoutMs: options.brokerTimeoutMs } : {}),
  });
  for (const { device, model } of selected) {
    if (model) await manager.upsertDevice(device, model);
  }
  await manager.start();
  if (options.signal) {
    const stop = (): void => void manager.stop();
    if (options.signal.aborted) stop();
    else options.signal.addEventListener('abort', stop, { once: true });
  }
  return manager;
}
