import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@edgeproof/core';
import type { MqttLink, MqttQos } from './mqtt-link.ts';
import { PushPublisher, brokerKey } from './push-publisher.ts';

class Link implements MqttLink {
  connected = false;
  sent: [string, string, MqttQos, boolean][] = [];
  closed = false;
  publish(topic: string, payload: string, o: { qos: MqttQos; retain?: boolean }): void {
    this.sent.push([topic, payload, o.qos, o.retain ?? false]);
  }
  subscribe(): Promise<void> {
    return Promise.resolve();
  }
  onMessage(): void {}
  onConnect(): void {}
  ready(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

test('broker URLs that name the same broker share a key', () => {
  assert.equal(brokerKey('tcp://127.0.0.1:1883'), 'mqtt://127.0.0.1:1883');
  assert.equal(brokerKey('mqtt://127.0.0.1'), 'mqtt://127.0.0.1:1883');
  assert.equal(brokerKey('ssl://broker'), 'mqtts://broker:8883');
  assert.notEqual(brokerKey('tcp://127.0.0.1:1884'), brokerKey('tcp://127.0.0.1:1883'));
});

test('the edge link is reused for its own address; other brokers get one link each; nothing is queued while disconnected', async () => {
  const edge = new Link();
  edge.connected = true;
  const opened = new Map<string, Link>();
  const pub = new PushPublisher({
    defaultLink: edge,
    defaultUrl: 'mqtt://127.0.0.1:1884',
    logger: silentLogger(),
    clientIdPrefix: 'm',
    openLink: (url) => {
      const l = new Link();
      opened.set(url, l);
      return l;
    },
  });
  pub.publish({ topic: 'a', qos: 1, retained: true }, 'x');
  pub.publish({ address: 'tcp://127.0.0.1:1884', topic: 'b', qos: 0, retained: false }, 'y');
  assert.deepEqual(edge.sent, [
    ['a', 'x', 1, true],
    ['b', 'y', 0, false],
  ]);
  pub.publish({ address: 'tcp://10.0.0.9:1883', topic: 'c', qos: 0, retained: false }, 'dropped');
  const remote = opened.get('tcp://10.0.0.9:1883');
  assert.ok(remote);
  assert.deepEqual(remote.sent, []);
  remote.connected = true;
  pub.publish({ address: 'mqtt://10.0.0.9', topic: 'c', qos: 0, retained: false }, 'sent');
  assert.deepEqual(remote.sent, [['c', 'sent', 0, false]]);
  assert.equal(opened.size, 1);
  await pub.close();
  assert.equal(remote.closed, true);
  assert.equal(edge.closed, false, 'the edge link belongs to the manager');
});
