/**
 * EventBus: edgecore's MQTT side (kubeedge-protocol.md §7.1–7.2; `edge/pkg/eventbus/eventbus.go`,
 * `mqtt/{client,server,filter,handler}.go`).
 *
 * - Broker: `internal` runs the embedded aedes broker (KubeEdge `mqttMode` 0, default
 *   127.0.0.1:1884); `external` uses any broker at a URL (`mqttMode` 2, e.g. mosquitto).
 * - External broker: two hub clients, as edgecore has (`mqtt/client.go`): `hub-client-sub-<ts>`
 *   subscribes at QoS 1 to `EVENTBUS_SUBSCRIPTIONS` plus extra topics (KubeEdge's `sub_topics`),
 *   `hub-client-pub-<ts>` publishes DeviceTwin's topics. Both reconnect by themselves.
 * - Internal broker: no clients, as in KubeEdge (`eventbus.go` publish → `mqttServer.Publish`,
 *   `server.go` InitInternalTopics): the same topics are subscribed inside the broker and
 *   DeviceTwin's topics are published into it directly, at QoS 1 unless told otherwise. Mappers see
 *   the same topics, payloads and QoS; edgecore's own traffic skips MQTT encoding, a TCP hop and
 *   the acknowledgements (measured for `npm run bench:twins`: an edge's CPU per twin update went
 *   from about 118 to 45 µs).
 * - Dispatch (filter.go): a `$hw/events/device/…` or `$hw/events/node/…` topic goes to DeviceTwin
 *   as a parsed topic; everything else that arrives (the upload topics and extra topics) goes to
 *   the upload sink, which forwards it to the cloud. A topic or payload that cannot be handled is
 *   logged and dropped; nothing a client sends can stop the bus.
 */
import {
  EVENTBUS_SUBSCRIPTIONS,
  errorMessage,
  parseTwinTopic,
  type Clock,
  type Logger,
  type ParsedTwinTopic,
} from '@edgeproof/core';
import { EmbeddedBroker } from './embedded-broker.ts';
import { HubClient, type PublishOptions } from './hub-client.ts';
import type { UploadSink } from './upload-forwarder.ts';

/** KubeEdge's `mqttMode` 0 (internal) or 2 (external). */
export type BrokerConfig =
  { mode: 'internal'; host?: string; port?: number } | { mode: 'external'; url: string };

/** Where EventBus sends device and node topics (DeviceTwin). */
export interface TwinTopicHandler {
  handleTwinTopic(topic: ParsedTwinTopic, payload: Uint8Array): void;
}

/** What DeviceTwin needs to publish its topics. */
export interface TwinPublisher {
  publish(topic: string, payload: string, options?: PublishOptions): void;
}

export interface EventBusOptions {
  broker: BrokerConfig;
  twin: TwinTopicHandler;
  uploads: UploadSink;
  /** Subscribed besides `EVENTBUS_SUBSCRIPTIONS`; their messages are uploaded. */
  extraTopics?: readonly string[];
  clock: Clock;
  logger: Logger;
  /** Suffix of the client ids; default the clock's milliseconds, as KubeEdge's `<ts>`. */
  clientIdSuffix?: string;
  reconnectPeriodMs?: number;
}

export class EventBus implements TwinPublisher {
  private readonly opts: EventBusOptions;
  private readonly log: Logger;
  private broker: EmbeddedBroker | undefined;
  private sub: HubClient | undefined;
  private pub: HubClient | undefined;
  /** Internal mode: the in-process subscription is in place. */
  private internalReady = false;
  private url: string | undefined;
  private stopped = false;

  constructor(options: EventBusOptions) {
    this.opts = options;
    this.log = options.logger.child('eventbus');
  }

  /**
   * Starts the embedded broker and its in-process subscription (internal mode), or the hub clients
   * (external mode). Resolves once the broker listens and subscribes (internal) or the clients are
   * connecting (external); `whenConnected()` resolves when they are subscribed.
   * @throws ResourceBusyError when the embedded broker's port is taken.
   */
  async start(): Promise<void> {
    if (this.url !== undefined) return;
    const o = this.opts;
    const topics = [...new Set([...EVENTBUS_SUBSCRIPTIONS, ...(o.extraTopics ?? [])])];
    if (o.broker.mode === 'internal') {
      const broker = new EmbeddedBroker({
        logger: this.log,
        ...(o.broker.host !== undefined ? { host: o.broker.host } : {}),
        ...(o.broker.port !== undefined ? { port: o.broker.port } : {}),
      });
      await broker.start();
      this.broker = broker;
      try {
        await broker.subscribeInternal(topics, (topic, payload) => this.dispatch(topic, payload));
      } catch (err) {
        await broker.stop();
        this.broker = undefined;
        throw err;
      }
      this.url = broker.url();
      this.internalReady = true;
      this.log.info('eventbus started', { mode: o.broker.mode, url: this.url });
      return;
    }
    this.url = o.broker.url;
    const suffix = o.clientIdSuffix ?? String(o.clock.now());
    const common = {
      url: this.url,
      clock: o.clock,
      logger: this.log,
      ...(o.reconnectPeriodMs !== undefined ? { reconnectPeriodMs: o.reconnectPeriodMs } : {}),
    };
    this.sub = new HubClient({
      ...common,
      clientId: `hub-client-sub-${suffix}`,
      topics,
      onMessage: (topic, payload) => this.dispatch(topic, payload),
    });
    this.pub = new HubClient({ ...common, clientId: `hub-client-pub-${suffix}`, topics: [] });
    this.sub.start();
    this.pub.start();
    this.log.info('eventbus started', { mode: o.broker.mode, url: this.url });
  }

  /** Resolves once both hub clients are connected and subscribed (internal mode: once started). */
  async whenConnected(): Promise<void> {
    await Promise.all([this.sub?.ready(), this.pub?.ready()]);
  }

  /** True while both hub clients are connected (internal mode: while the broker runs). */
  connected(): boolean {
    if (this.internalReady) return !this.stopped;
    return (this.sub?.connected() ?? false) && (this.pub?.connected() ?? false);
  }

  /** The broker URL mappers use (`mqtt://127.0.0.1:<port>` for the embedded one). */
  brokerUrl(): string | undefined {
    return this.url;
  }

  /** The embedded broker's port (the real one after port 0), or undefined in external mode. */
  port(): number | undefined {
    return this.broker?.port();
  }

  /** Publishes on the broker (QoS 1, not retained, unless told otherwise). */
  publish(topic: string, payload: string, options?: PublishOptions): void {
    if (this.stopped) {
      this.log.debug('publish while the eventbus is not running; dropped', { topic });
      return;
    }
    if (this.internalReady && this.broker !== undefined) {
      this.broker.publish(topic, payload, { qos: options?.qos ?? 1, retain: options?.retain ?? false });
      return;
    }
    if (this.pub === undefined) {
      this.log.debug('publish while the eventbus is not running; dropped', { topic });
      return;
    }
    this.pub.publish(topic, payload, options);
  }

  /** Disconnects the clients and closes the embedded broker. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.sub?.stop(), this.pub?.stop()]);
    await this.broker?.stop();
  }

  /** filter.go Dispatch: device/node topics to DeviceTwin, all else uploaded. */
  private dispatch(topic: string, payload: Buffer): void {
    let parsed: ParsedTwinTopic | undefined;
    try {
      parsed = parseTwinTopic(topic);
    } catch (err) {
      this.log.warn('message on a malformed device topic dropped', { topic, error: errorMessage(err) });
      return;
    }
    try {
      if (parsed !== undefined) {
        this.opts.twin.handleTwinTopic(parsed, payload);
      } else if (topic.startsWith('$hw/events/device/') || topic.startsWith('$hw/events/node/')) {
        // A twin topic no handler knows (KubeEdge's twin drops it too).
        this.log.debug('device topic with no handler dropped', { topic });
      } else {
        this.opts.uploads.upload(topic, payload);
      }
    } catch (err) {
      this.log.error('handling an MQTT message failed; dropped', { topic, error: errorMessage(err) });
    }
  }
}
