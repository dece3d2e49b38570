/**
 * The simulated devices `edgeproof up` starts (issue 5: "one Modbus and one OPC UA simulated device
 * with their Device objects, so kubectl shows live values out of the box"): the example
 * DeviceModel + Device pairs of `crds/examples/`, bound to the first edge node, each served by a
 * simulator built from the same pair (`pointsFromDevice`), listening where the Device's configData
 * says (Modbus 127.0.0.1:5020, OPC UA opc.tcp://127.0.0.1:4840). The objects are applied with
 * client-node like any user's manifests; their cycles are shortened to 2 s so values move at once.
 */
import { readFileSync } from 'node:fs';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { InvalidInputError, ResourceBusyError, errorMessage, type Clock, type Logger } from '@edgeproof/core';
import { DEVICES_GROUP, exampleManifestPaths, type Device, type DeviceModel } from '@edgeproof/crds';
import { createSimulator, pointsFromDevice, type Simulator } from '@edgeproof/simulators';

export const BENCH_DEVICE_KINDS = ['modbus', 'opcua'] as const;
export type BenchDeviceKind = (typeof BENCH_DEVICE_KINDS)[number];

/** The example files per kind (crds/examples). */
const EXAMPLES: Record<BenchDeviceKind, { model: string; device: string }> = {
  modbus: { model: 'modbus-device-model.yaml', device: 'modbus-device.yaml' },
  opcua: { model: 'opcua-device-model.yaml', device: 'opcua-device.yaml' },
};

/** How often the bench devices are read and reported (the examples say 10 s; a bench wants it live). */
const BENCH_CYCLE_MS = 2000;

/** `--devices modbus,opcua` (default both) or `none`. */
export function parseBenchDevices(text: string | undefined): BenchDeviceKind[] {
  const value = (text ?? 'modbus,opcua').trim();
  if (value === 'none' || value === '') return [];
  const kinds = value.split(',').map((k) => k.trim());
  for (const k of kinds) {
    if (!(BENCH_DEVICE_KINDS as readonly string[]).includes(k))
      throw new InvalidInputError(
        `--devices: unknown device kind ${JSON.stringify(k)}; use modbus, opcua or none`,
      );
  }
  return [...new Set(kinds)] as BenchDeviceKind[];
}

export type BenchDevice = { kind: BenchDeviceKind; device: Device; simulator: Simulator };

function readExample(file: string): DeviceModel | Device {
  const path = exampleManifestPaths().find((p) => p.endsWith(`/${file}`));
  if (path === undefined) throw new InvalidInputError(`crds/examples/${file} is missing`);
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  const first = Array.isArray(docs) ? docs[0] : docs;
  return first?.toJS() as DeviceModel | Device;
}

/**
 * Starts the simulators of `kinds` and applies their DeviceModel and Device (bound to `nodeName`).
 * @throws ResourceBusyError naming the port and the flag to turn devices off, when a port is taken.
 */
export async function startBenchDevices(o: {
  kinds: readonly BenchDeviceKind[];
  nodeName: string;
  kubeConfig: KubeConfig;
  dataDir: string;
  clock: Clock;
  logger: Logger;
}): Promise<{ devices: BenchDevice[]; stop: () => Promise<void> }> {
  const started: BenchDevice[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((d) => d.simulator.stop()));
  };
  try {
    for (const kind of o.kinds) {
      const model = readExample(EXAMPLES[kind].model) as DeviceModel;
      const device = readExample(EXAMPLES[kind].device) as Device;
      device.spec.nodeName = o.nodeName;
      for (const p of device.spec.properties ?? []) {
        p.collectCycle = BENCH_CYCLE_MS;
        p.reportCycle = BENCH_CYCLE_MS;
      }
      const simulator = createSimulator(pointsFromDevice(model, device), {
        clock: o.clock,
        logger: o.logger.child(`sim-${kind}`),
        dataDir: `${o.dataDir}/simulators/${kind}`,
      });
      try {
        await simulator.start();
      } catch (err) {
        throw new ResourceBusyError(
          `cannot start the ${kind} simulator (${errorMessage(err)}); free the port, or run with --devices none`,
          { cause: err },
        );
      }
      started.push({ kind, device, simulator });
      await apply(o.kubeConfig, 'devicemodels', model);
      await apply(o.kubeConfig, 'devices', device);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { devices: started, stop };
}

/** Create, or replace the spec of an existing object (a restarted bench keeps its data dir). */
async function apply(kubeConfig: KubeConfig, plural: string, obj: DeviceModel | Device): Promise<void> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const namespace = obj.metadata.namespace ?? 'default';
  const ref = { group: DEVICES_GROUP, version: 'v1beta1', namespace, plural };
  try {
    const current = (await api.getNamespacedCustomObject({ ...ref, name: obj.metadata.name })) as {
      metadata: { resourceVersion: string };
    };
    await api.replaceNamespacedCustomObject({
      ...ref,
      name: obj.metadata.name,
      body: { ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata.resourceVersion } },
    });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await api.createNamespacedCustomObject({ ...ref, body: obj });
  }
}
