/**
 * Publishes readings to the brokers named by `pushMethod.mqtt.address` (kubeedge-protocol.md §8.1).
 * mapper-framework opens and closes a client for every single message
 * (`_template/mapper/data/publish/mqtt/client.go` Push) and exits the process when the broker is
 * down; here one link per broker is kept open, the edge's own link is reused when the address names
 * the same broker, and readings for a broker that is not connected are dropped (the next report
 * brings a newer one), so a dead push target cannot take memory or the mapper down.
 */
import type { Logger } from '@edgeproof/core';
import type { PushMqttTarget } from './device-properties.ts';
import { openMqttLink, type MqttLink } from './mqtt-link.ts';

export type PushPublisherOptions = {
  /** The edge broker link, and its URL: targets without an address, or with the same one, use it. */
  defaultLink: MqttLink;
  defaultUrl: string;
  logger: Logger;
  clientIdPrefix: string;
  /** For tests: how links to other brokers are opened. */
  openLink?: (url: string, clientId: string) => MqttLink;
};

/** `tcp://h:1883`, `mqtt://h` and `mqtt://h:1883/` all name the same broker. */
export function brokerKey(url: string): string {
  try {
    const u = new URL(url);
    const scheme = u.protocol.replace(':', '');
    const plain = scheme === 'tcp' || scheme === 'mqtt';
    const secure = scheme === 'ssl' || scheme === 'tls' || scheme === 'mqtts';
    const port = u.port || (plain ? '1883' : secure ? '8883' : '');
    return `${plain ? 'mqtt' : secure ? 'mqtts' : scheme}://${u.hostname}:${port}`;
  } catch {
    return url;
  }
}

export class PushPublisher {
  private readonly options: PushPublisherOptions;
  private readonly links = new Map<string, MqttLink>();
  private readonly dropping = new Set<string>();
  private readonly defaultKey: string;
  private closed = false;

  constructor(options: PushPublisherOptions) {
    this.options = options;
    this.defaultKey = brokerKey(options.defaultUrl);
  }

  publish(target: PushMqttTarget, payload: string): void {
    if (this.closed) return;
    const key = target.address === undefined ? this.defaultKey : brokerKey(target.address);
    const link =
      key === this.defaultKey ? this.options.defaultLink : this.linkFor(key, target.address ?? key);
    if (!link.connected) {
      if (!this.dropping.has(key)) {
        this.dropping.add(key);
        this.options.logger.warn('push broker not connected; dropping readings until it is', { broker: key });
      }
      return;
    }
    if (this.dropping.delete(key)) this.options.logger.info('push broker connected', { broker: key });
    link.publish(target.topic, payload, { qos: target.qos, retain: target.retained });
  }

  private linkFor(key: string, url: string): MqttLink {
    let link = this.links.get(key);
    if (!link) {
      const clientId = `${this.options.clientIdPrefix}-p${this.links.size + 1}`;
      link = this.options.openLink
        ? this.options.openLink(url, clientId)
        : openMqttLink(url, { clientId, logger: this.options.logger });
      this.links.set(key, link);
      // Readings before the first connect are dropped without a warning per broker.
      this.dropping.add(key);
      this.options.logger.info('connecting to push broker', { broker: key });
    }
    return link;
  }

  async close(): Promise<void> {
    this.closed = true;
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map((l) => l.close()));
  }
}
