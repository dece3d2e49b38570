/**
 * Runs edgeproof's mappers (`../mappers/`) for the Devices this node holds: the bridge between
 * MetaManager's store, where Devices and DeviceModels arrive from the cloud (§7.4: `<ns>/device/<n>`
 * and `<ns>/devicemodel/<n>`, stored and ACKed like pods), and the MapperManager, which reads and
 * writes the devices and speaks to DeviceTwin over the node's MQTT broker (§7.2). KubeEdge's DMI
 * worker plays this part for DMI mappers (§8.2); ours talk MQTT only, as pre-DMI mappers do.
 *
 * At start every stored Device is run again, cloud or no cloud (offline autonomy, §5.2). A Device
 * whose DeviceModel has not arrived yet waits for it: the model's arrival starts it.
 */
import { join } from 'node:path';
import { errorMessage, type Clock, type Logger, type TimerHandle } from '@edgeproof/core';
import type { Device, DeviceModel } from '@edgeproof/crds';
import { MapperManager } from '../mappers/mapper-manager.ts';
import type { MetaStore } from '../metamanager/store.ts';

/** How long to wait before trying the broker again when the mappers cannot start. */
const START_RETRY_MS = 5_000;

export interface DeviceMappersOptions {
  store: MetaStore;
  /** The node's broker, known once EventBus has started. */
  mqttUrl: () => string | undefined;
  dataDir: string;
  nodeName: string;
  clock: Clock;
  logger: Logger;
}

export class DeviceMappers {
  private readonly o: DeviceMappersOptions;
  private manager: MapperManager | undefined;
  private retry: TimerHandle | undefined;
  private stopped = false;

  constructor(options: DeviceMappersOptions) {
    this.o = options;
  }

  /** Starts the mappers and every stored Device; if the broker is not reachable, tries again later. */
  async start(): Promise<void> {
    const url = this.o.mqttUrl();
    if (this.stopped || url === undefined) return;
    const manager = new MapperManager({
      mqttUrl: url,
      dataDir: join(this.o.dataDir, 'mappers'),
      clock: this.o.clock,
      logger: this.o.logger,
      nodeName: this.o.nodeName,
    });
    try {
      await manager.start();
    } catch (err) {
      this.o.logger.warn('mappers not started: the MQTT broker is not reachable; trying again', {
        url,
        error: errorMessage(err),
        retryInMs: START_RETRY_MS,
      });
      this.retry = this.o.clock.setTimeout(() => void this.start(), START_RETRY_MS);
      return;
    }
    if (this.stopped) {
      await manager.stop();
      return;
    }
    this.manager = manager;
    for (const row of this.o.store.listByType('device')) this.deviceStored(row.key);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retry?.cancel();
    await this.manager?.stop();
    this.manager = undefined;
  }

  /** MetaManager stored or deleted `resource` (edge form `<ns>/<type>/<name>`) of `type`. */
  changed(type: string, resource: string, deleted: boolean): void {
    if (this.manager === undefined) return;
    const [namespace = '', , name = ''] = resource.split('/');
    if (type === 'device') {
      if (deleted) void this.manager.removeDevice(namespace, name);
      else this.deviceStored(resource);
    } else if (type === 'devicemodel' && !deleted) {
      for (const row of this.o.store.listByType('device')) {
        const device = this.parse<Device>(row.value, row.key);
        if (device?.metadata?.namespace === namespace && device.spec?.deviceModelRef?.name === name)
          this.deviceStored(row.key);
      }
    }
  }

  private deviceStored(resource: string): void {
    const manager = this.manager;
    const row = this.o.store.get(resource);
    if (manager === undefined || row === undefined) return;
    const device = this.parse<Device>(row.value, resource);
    if (device === undefined) return;
    const namespace = device.metadata?.namespace ?? 'default';
    const modelName = device.spec?.deviceModelRef?.name ?? '';
    const modelRow = this.o.store.get(`${namespace}/devicemodel/${modelName}`);
    if (modelRow === undefined) {
      this.o.logger.info('device waits for its DeviceModel', { device: resource, model: modelName });
      return;
    }
    const model = this.parse<DeviceModel>(modelRow.value, modelRow.key);
    if (model === undefined) return;
    manager.upsertDevice(device, model).then(
      (status) => this.o.logger.debug('device handed to its mapper', { device: resource, status }),
      (err: unknown) =>
        this.o.logger.error('device not handed to its mapper', {
          device: resource,
          error: errorMessage(err),
        }),
    );
  }

  private parse<T>(json: string, key: string): T | undefined {
    try {
      return JSON.parse(json) as T;
    } catch (err) {
      this.o.logger.error('stored object is not JSON', { key, error: errorMessage(err) });
      return undefined;
    }
  }
}
