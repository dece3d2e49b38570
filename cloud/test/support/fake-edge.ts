// A fake edgecore for tests that run a real HubServer: a `ws` client with a node certificate from
// the test CA that records what it receives and ACKs storable messages as edgecore's MetaManager
// does (operation `response`, same route, parent_msg_id = the message id, content "OK";
// kubeedge-protocol.md §3.2).
import WebSocket from 'ws';
import { decodeMessage, encodeMessage, messageBuilder, type Clock, type Message } from '@edgeproof/core';
import { issueCertificate, type CertificateAuthority } from '../../src/pki/pki.ts';

export type Received = { at: number; message: Message };

const PROJECT_ID = 'e632aba927ea4ac2b575ec1603d56f10';

/** What a fake edge needs of its test: the hub's CA, address and session lookup. */
export interface FakeEdgeHub {
  ca: CertificateAuthority;
  host: string;
  port: () => number;
  clock: Clock;
  /** True while the hub still holds a session for the node. */
  hasSession: (node: string) => boolean;
}

export class FakeEdge {
  readonly node: string;
  readonly received: Received[] = [];
  /** Return false to withhold the ACK of a message. */
  ackIf: (m: Message) => boolean = () => true;
  private ws: WebSocket | undefined;
  private readonly hub: FakeEdgeHub;
  private readonly build;

  constructor(hub: FakeEdgeHub, node: string) {
    this.hub = hub;
    this.node = node;
    this.build = messageBuilder({ clock: hub.clock });
  }

  async connect(): Promise<void> {
    const { ca, host, clock } = this.hub;
    const cert = await issueCertificate({
      ca,
      commonName: `system:node:${this.node}`,
      organization: 'system:nodes',
      usages: ['client'],
      validityDays: 1,
      clock,
    });
    const ws = new WebSocket(`wss://${host}:${this.hub.port()}/${PROJECT_ID}/${this.node}/events`, {
      ca: ca.certPem,
      cert: cert.certPem,
      key: cert.keyPem ?? '',
      headers: { node_id: this.node, project_id: PROJECT_ID, ConnectionUse: 'msg' },
    });
    ws.on('message', (data) => {
      const message = decodeMessage(data as Buffer);
      this.received.push({ at: Date.now(), message });
      const storable = ['insert', 'update', 'delete'].includes(message.route.operation ?? '');
      const twin = message.route.group === 'twin'; // twin messages are NoAck (§7.4)
      if (storable && !twin && this.ackIf(message))
        ws.send(encodeMessage(this.build.newResponse(message, 'OK')));
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.ws = ws;
  }

  /** Sends an upstream message as edgecore would. */
  send(message: Message): void {
    if (this.ws === undefined) throw new Error(`${this.node} is not connected`);
    this.ws.send(encodeMessage(message));
  }

  /** Closes the connection and resolves once the hub has let the session go. */
  async disconnect(): Promise<void> {
    const ws = this.ws;
    if (ws === undefined) return;
    this.ws = undefined;
    const closed = new Promise((r) => ws.once('close', r));
    ws.close();
    await closed;
    const deadline = Date.now() + 10_000;
    while (this.hub.hasSession(this.node)) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the hub to drop the session');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.ws?.terminate();
  }

  /** Messages received since `from` (an index into `received`) with this operation and resource. */
  find(from: number, operation: string, resource: string): Received[] {
    return this.received
      .slice(from)
      .filter((r) => r.message.route.operation === operation && r.message.route.resource === resource);
  }
}
