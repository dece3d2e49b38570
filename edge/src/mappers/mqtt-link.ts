/**
 * The mapper's MQTT connection to the edge broker (the eventbus, kubeedge-protocol.md §7.1) or to
 * a pushMethod.mqtt broker, over MQTT.js. An interface, so the manager can be driven without a
 * broker in unit tests (CONVENTIONS.md "Transports are interfaces").
 *
 * MQTT.js reconnects by itself and, with `resubscribe`, restores subscriptions; `clean: true` as
 * mappers-go's client (`mappers/common/event.go` Connect: SetCleanSession(true)). QoS 0 messages are
 * not queued while disconnected (`queueQoSZero: false`): a twin reading that could not be sent is
 * superseded by the next cycle's, and an unbounded queue would grow through a long outage.
 */
import { connect, type MqttClient } from 'mqtt';
import { errorMessage, type Logger } from '@edgeproof/core';
import { BrokerUnavailableError } from './mapper-errors.ts';

export type MqttQos = 0 | 1 | 2;

export interface MqttLink {
  readonly connected: boolean;
  /** Sends without waiting; failures are logged. */
  publish(topic: string, payload: string, options: { qos: MqttQos; retain?: boolean }): void;
  subscribe(topic: string, qos: MqttQos): Promise<void>;
  /** Called for every message on a subscribed topic. */
  onMessage(handler: (topic: string, payload: Buffer) => void): void;
  /** Called on every (re)connect, the first included. */
  onConnect(handler: () => void): void;
  /** Resolves on the first connect; rejects with BrokerUnavailableError after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export type MqttLinkOptions = {
  clientId: string;
  logger: Logger;
  /** Delay between reconnect attempts (MQTT.js `reconnectPeriod`); default 1000 ms. */
  reconnectPeriodMs?: number;
};

/** URLs with `tcp://`, as KubeEdge writes broker addresses, are MQTT over TCP for MQTT.js too. */
export function openMqttLink(url: string, options: MqttLinkOptions): MqttLink {
  return new MqttJsLink(url, options);
}

class MqttJsLink implements MqttLink {
  private readonly client: MqttClient;
  private readonly logger: Logger;
  private readonly url: string;
  private readonly connectHandlers: (() => void)[] = [];
  private everConnected = false;
  private lastError: string | undefined;
  private closed = false;

  constructor(url: string, options: MqttLinkOptions) {
    this.url = url;
    this.logger = options.logger;
    this.client = connect(url, {
      clientId: options.clientId,
      clean: true,
      reconnectPeriod: options.reconnectPeriodMs ?? 1000,
      connectTimeout: 5000,
      queueQoSZero: false,
      resubscribe: true,
    });
    this.client.on('connect', () => {
      if (this.everConnected) this.logger.info('broker link restored', { url });
      this.everConnected = true;
      this.lastError = undefined;
      for (const h of this.connectHandlers) h();
    });
    this.client.on('error', (err) => {
      const message = errorMessage(err);
      if (message !== this.lastError) this.logger.warn('broker link error', { url, error: message });
      this.lastError = message;
    });
    this.client.on('offline', () => {
      if (this.everConnected && !this.closed) this.logger.warn('broker link lost; reconnecting', { url });
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  publish(topic: string, payload: string, options: { qos: MqttQos; retain?: boolean }): void {
    this.client.publish(topic, payload, { qos: options.qos, retain: options.retain ?? false }, (err) => {
      if (err && !this.closed) this.logger.debug('publish failed', { topic, error: errorMessage(err) });
    });
  }

  async subscribe(topic: string, qos: MqttQos): Promise<void> {
    await this.client.subscribeAsync(topic, { qos });
  }

  onMessage(handler: (topic: string, payload: Buffer) => void): void {
    this.client.on('message', (topic, payload) => handler(topic, payload));
  }

  onConnect(handler: () => void): void {
    this.connectHandlers.push(handler);
  }

  ready(timeoutMs: number): Promise<void> {
    if (this.client.connected) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onConnect = (): void => {
        clearTimeout(timer);
        resolve();
      };
      // A real timer on purpose: MQTT.js itself runs on real time, and this bounds its wait.
      const timer = setTimeout(() => {
        this.client.off('connect', onConnect);
        reject(
          new BrokerUnavailableError(
            `cannot reach the MQTT broker at ${this.url} within ${timeoutMs} ms${this.lastError ? `: ${this.lastError}` : ''}; is the eventbus running?`,
          ),
        );
      }, timeoutMs);
      this.client.once('connect', onConnect);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Force when disconnected: a graceful end would wait for a broker that is not there.
    await this.client.endAsync(!this.client.connected);
  }
}
