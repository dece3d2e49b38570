/**
 * DeviceServices: EventBus, DeviceTwin and the two durable upstream queues, wired together, for
 * edgecore to start as one unit.
 *
 * Storage (`dataDir`, or explicit `paths`):
 * - `edgecore.db`: KubeEdge's `device`, `device_attr`, `device_twin` tables (DeviceStore, FULL);
 * - `devicetwin-reports.db`: twin and state reports until the cloud ACKs them (ReportOutbox);
 * - `eventbus-uploads.db`: MQTT uploads until the cloud link took them (UploadForwarder).
 * The two queues are `UpstreamQueue`s in files of their own: edgecore's pod-status queue sends
 * every row of its table, so they cannot share it.
 *
 * Order: `start()` opens storage, starts DeviceTwin and the upload forwarder, then the broker (and
 * hub clients, external mode) so the first MQTT message finds its handler ready; `stop()` answers
 * the pending twin batch, then goes in reverse. No I/O before `start()`.
 *
 * For a high twin-update rate (`npm run bench:twins`): mapper updates are group-committed
 * (`twinBatchDelayMs`), the report outbox keeps one message per device in flight and removes ACKed
 * rows in batches (ReportOutbox options).
 */
import { join } from 'node:path';
import { InvalidInputError, type Clock, type Logger, type Message } from '@edgeproof/core';
import { UpstreamQueue } from '../metamanager/upstream-queue.ts';
import type { CloudLink } from '../eventbus/cloud-link.ts';
import { EventBus, type BrokerConfig } from '../eventbus/eventbus.ts';
import { UploadForwarder } from '../eventbus/upload-forwarder.ts';
import { DeviceStore } from './device-store.ts';
import { DeviceTwin, type DeviceSnapshot } from './device-twin.ts';
import { ReportOutbox } from './report-outbox.ts';
import { ReportWindow, type ReportWindowOptions } from './report-window.ts';

export interface DeviceServicePaths {
  /** The edgecore database holding the device tables. */
  devices: string;
  /** The twin/state report queue. */
  reports: string;
  /** The MQTT upload queue. */
  uploads: string;
}

export interface DeviceServicesOptions {
  nodeName: string;
  /** edgecore's data directory; files as in the module comment. */
  dataDir?: string;
  /** Explicit files instead of `dataDir`. */
  paths?: DeviceServicePaths;
  /** Default `{mode: 'internal'}` on 127.0.0.1:1884 (§7.1 mqttMode 0). */
  broker?: BrokerConfig;
  cloud: CloudLink;
  clock: Clock;
  logger: Logger;
  newId?: () => string;
  /** Extra MQTT topics to subscribe; their messages are uploaded. */
  extraTopics?: readonly string[];
  /** Report and membership/detail resend period; default 60 s (KubeEdge). */
  resendIntervalMs?: number;
  /** How the number of twin and state reports un-ACKed at once adapts; default DEFAULT_REPORT_WINDOW. */
  reportWindow?: ReportWindowOptions;
  /** Bound of the upload backlog; default 100 000. */
  maxQueuedUploads?: number;
  /** Hub client reconnect period; default 1 s. */
  reconnectPeriodMs?: number;
  /**
   * Group commit of mapper twin updates: those arriving within this many ms are stored in one
   * transaction and answered after it (DeviceTwin `batch`). Default 10 ms; `false` commits each
   * update on its own.
   */
  twinBatchDelayMs?: number | false;
}

/** See `twinBatchDelayMs`. */
export const DEFAULT_TWIN_BATCH_DELAY_MS = 10;
/** ACKed reports leave SQLite within this long, many in one transaction. */
const REPORT_REMOVE_DELAY_MS = 50;

/** Paths under `dataDir`. */
export function deviceServicePaths(dataDir: string): DeviceServicePaths {
  return {
    devices: join(dataDir, 'edgecore.db'),
    reports: join(dataDir, 'devicetwin-reports.db'),
    uploads: join(dataDir, 'eventbus-uploads.db'),
  };
}

interface Running {
  store: DeviceStore;
  reports: UpstreamQueue;
  uploads: UpstreamQueue;
  twin: DeviceTwin;
  forwarder: UploadForwarder;
  bus: EventBus;
}

export class DeviceServices {
  private readonly opts: DeviceServicesOptions;
  private readonly paths: DeviceServicePaths;
  private readonly log: Logger;
  private running: Running | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;

  constructor(options: DeviceServicesOptions) {
    const paths = options.paths ?? (options.dataDir ? deviceServicePaths(options.dataDir) : undefined);
    if (paths === undefined) throw new InvalidInputError('DeviceServices needs dataDir or paths');
    this.opts = options;
    this.paths = paths;
    this.log = options.logger;
  }

  /** Opens storage and starts everything; see the module comment. Idempotent. */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const o = this.opts;
    const opened: Array<{ close(): void }> = [];
    try {
      const store = DeviceStore.open(this.paths.devices);
      opened.push(store);
      const reports = UpstreamQueue.open(this.paths.reports);
      opened.push(reports);
      const uploads = UpstreamQueue.open(this.paths.uploads);
      opened.push(uploads);
      const ids = o.newId ? { newId: o.newId } : {};
      const outbox = new ReportOutbox({
        queue: reports,
        cloud: o.cloud,
        clock: o.clock,
        logger: this.log,
        ...ids,
        ...(o.resendIntervalMs !== undefined ? { resendIntervalMs: o.resendIntervalMs } : {}),
        // One report per device in flight: the cloud gets the latest value at the rate it takes them.
        coalesceWhileInFlight: true,
        window: new ReportWindow(o.reportWindow),
        removeDelayMs: REPORT_REMOVE_DELAY_MS,
      });
      const batchDelayMs = o.twinBatchDelayMs ?? DEFAULT_TWIN_BATCH_DELAY_MS;
      const forwarder = new UploadForwarder({
        queue: uploads,
        cloud: o.cloud,
        clock: o.clock,
        logger: this.log,
        ...ids,
        ...(o.maxQueuedUploads !== undefined ? { maxQueued: o.maxQueuedUploads } : {}),
      });
      // The bus and the twin need each other: the twin publishes on the bus, the bus hands it topics.
      const late: { twin?: DeviceTwin } = {};
      const bus = new EventBus({
        broker: o.broker ?? { mode: 'internal' },
        twin: { handleTwinTopic: (topic, payload) => late.twin?.handleTwinTopic(topic, payload) },
        uploads: forwarder,
        clock: o.clock,
        logger: this.log,
        ...(o.extraTopics ? { extraTopics: o.extraTopics } : {}),
        ...(o.reconnectPeriodMs !== undefined ? { reconnectPeriodMs: o.reconnectPeriodMs } : {}),
      });
      const twin = new DeviceTwin({
        nodeName: o.nodeName,
        store,
        outbox,
        mqtt: bus,
        cloud: o.cloud,
        clock: o.clock,
        logger: this.log,
        ...ids,
        ...(batchDelayMs !== false ? { batch: { delayMs: batchDelayMs } } : {}),
      });
      late.twin = twin;
      twin.start();
      forwarder.start();
      this.running = { store, reports, uploads, twin, forwarder, bus };
      if (this.stopped) return;
      await bus.start();
    } catch (err) {
      this.running?.twin.stop();
      this.running?.forwarder.stop();
      await this.running?.bus.stop();
      this.running = undefined;
      for (const s of opened) s.close();
      throw err;
    }
  }

  /** Stops the bus (broker and clients), then the twin and forwarder, then closes storage. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => {});
    const r = this.running;
    this.running = undefined;
    if (r === undefined) return;
    r.twin.commit(); // answer what is pending while the bus still runs
    await r.bus.stop();
    r.twin.stop();
    r.forwarder.stop();
    r.uploads.close();
    r.reports.close();
    r.store.close();
  }

  /**
   * A downstream message with `route.group === 'twin'` (membership, membership/detail replies,
   * twin/cloud_updated, report ACKs). Returns whether it was handled here. Call it before
   * edgecore's own reply matching: ACKs carry a `parent_msg_id`.
   */
  handleCloudMessage(m: Message): boolean {
    if (this.running === undefined) {
      this.log.debug('twin message before DeviceServices started; not handled', { route: m.route });
      return false;
    }
    return this.running.twin.handleCloudMessage(m);
  }

  /** The cloud link went up or down (edgecore's onConnectionChange). */
  cloudConnectionChanged(up: boolean): void {
    const r = this.running;
    if (r === undefined) return;
    r.twin.cloudConnectionChanged(up);
    r.forwarder.cloudConnectionChanged(up);
  }

  /** The EventBus, once started. */
  get eventBus(): EventBus {
    return this.need().bus;
  }

  /** DeviceTwin, once started. */
  get deviceTwin(): DeviceTwin {
    return this.need().twin;
  }

  devices(): DeviceSnapshot[] {
    return this.need().twin.devices();
  }

  device(namespace: string, name: string): DeviceSnapshot | undefined {
    return this.need().twin.device(namespace, name);
  }

  /** Uploads not yet handed to the cloud. */
  pendingUploads(): number {
    return this.need().forwarder.pending();
  }

  /** Reports not yet ACKed. */
  pendingReports(): number {
    return this.need().twin.pendingReports();
  }

  private need(): Running {
    if (this.running === undefined)
      throw new InvalidInputError('DeviceServices is not started: call start() first');
    return this.running;
  }
}

/** Builds DeviceServices (no I/O until `start()`). */
export function createDeviceServices(options: DeviceServicesOptions): DeviceServices {
  return new DeviceServices(options);
}
