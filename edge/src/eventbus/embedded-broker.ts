/**
 * The embedded MQTT broker: aedes over a TCP server, KubeEdge's internal broker (`mqttMode` 0,
 * `tcp://127.0.0.1:1884`, kubeedge-protocol.md §7.1; `edge/pkg/eventbus/mqtt/server.go`).
 *
 * - Port 0 picks a free port (tests, many nodes in one process); `port()` says which.
 * - A malformed packet closes that client's connection (aedes emits `clientError`); it is logged
 *   and the broker keeps serving everyone else.
 * - `stop()` closes every client connection and the listening socket, so no handle stays open.
 * - In-process side, as KubeEdge's internal server has it (`server.go`: `InitInternalTopics` puts
 *   edgecore's topics in the broker's own topic tree and hands matching messages to the twin;
 *   `Publish` dispatches to subscribers directly): `subscribeInternal` and `publish` reach the
 *   broker without a client connection, so edgecore's own traffic costs no MQTT encoding, TCP hop
 *   or acknowledgement round trip.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesPublishPacket } from 'aedes';
import { InvalidInputError, errorMessage, listenOn, type Logger } from '@edgeproof/core';

/** §7.1 mqttMode 0's address. */
export const DEFAULT_INTERNAL_BROKER_HOST = '127.0.0.1';
export const DEFAULT_INTERNAL_BROKER_PORT = 1884;

export interface EmbeddedBrokerOptions {
  host?: string;
  /** 0 picks a free port. Default 1884. */
  port?: number;
  logger: Logger;
}

export class EmbeddedBroker {
  private readonly host: string;
  private readonly wantedPort: number;
  private readonly log: Logger;
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort: number | undefined;

  constructor(options: EmbeddedBrokerOptions) {
    this.host = options.host ?? DEFAULT_INTERNAL_BROKER_HOST;
    this.wantedPort = options.port ?? DEFAULT_INTERNAL_BROKER_PORT;
    this.log = options.logger.child('broker');
  }

  /** Starts listening. @throws ResourceBusyError when the port is taken. */
  async start(): Promise<void> {
    if (this.server) return;
    // Client ids such as `hub-client-sub-<ms>` are longer than the 23 characters MQTT 3.1.1
    // guarantees; [MQTT-3.1.3-5] lets a server accept longer ones, as mosquitto does.
    const broker = await Aedes.createBroker({ maxClientsIdLength: 256 });
    broker.on('clientError', (client, err) => {
      this.log.warn('MQTT client error; its connection is closed', { client: client.id, error: err.message });
    });
    broker.on('connectionError', (client, err) => {
      this.log.warn('malformed MQTT connection dropped', { client: client.id, error: err.message });
    });
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {}); // aedes reports the client error; a reset socket must not throw
      broker.handle(socket);
    });
    let boundPort: number;
    try {
      boundPort = await listenOn(server, {
        port: this.wantedPort,
        host: this.host,
        who: 'the embedded MQTT broker',
        whenInUse: 'stop the other broker or choose another port (eventbus broker.port, --mqtt-port)',
      });
    } catch (err) {
      await new Promise<void>((r) => broker.close(() => r()));
      throw err;
    }
    server.on('error', (err) => this.log.error('MQTT listener error', { error: err.message }));
    this.broker = broker;
    this.server = server;
    this.boundPort = boundPort;
    this.log.info('embedded MQTT broker listening', { host: this.host, port: this.boundPort });
  }

  /** The port it listens on (the real one when started with port 0). */
  port(): number {
    return this.boundPort ?? this.wantedPort;
  }

  /**
   * Hands every message published on a topic matching one of `topics` (MQTT filters) to
   * `onMessage`, in the broker's own process. As for a client subscription, a filter starting with
   * a wildcard does not match topics starting with `$` (MQTT 3.1.1 §4.7.2). `onMessage` must not
   * throw. Resolves once the filters are in the broker's tree. Call after `start()`.
   */
  async subscribeInternal(
    topics: readonly string[],
    onMessage: (topic: string, payload: Buffer) => void,
  ): Promise<void> {
    const broker = this.need();
    await Promise.all(
      topics.map(
        (filter) =>
          new Promise<void>((resolve) => {
            const wild = filter.startsWith('+') || filter.startsWith('#');
            broker.subscribe(
              filter,
              (packet: AedesPublishPacket, done: () => void) => {
                if (!(wild && packet.topic.startsWith('$'))) {
                  try {
                    onMessage(packet.topic, packet.payload as Buffer);
                  } catch (err) {
                    this.log.error('internal subscriber failed; message dropped', {
                      topic: packet.topic,
                      error: errorMessage(err),
                    });
                  }
                }
                done();
              },
              () => resolve(),
            );
          }),
      ),
    );
  }

  /**
   * Publishes from inside the broker (KubeEdge's `mqttServer.Publish`): delivered to every matching
   * subscription at up to `qos`. Errors are logged, never thrown; a publish after `stop()` is dropped.
   */
  publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1 | 2; retain: boolean }): void {
    const broker = this.broker;
    if (broker === undefined) {
      this.log.debug('publish on a stopped broker; dropped', { topic });
      return;
    }
    broker.publish(
      {
        cmd: 'publish',
        topic,
        payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
        qos: options.qos,
        retain: options.retain,
        dup: false,
      },
      (err?: Error) => {
        if (err) this.log.warn('internal MQTT publish failed', { topic, error: err.message });
      },
    );
  }

  private need(): Aedes {
    if (this.broker === undefined)
      throw new InvalidInputError('the embedded MQTT broker is not started: call start() first');
    return this.broker;
  }

  /** `mqtt://host:port` for clients. */
  url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `mqtt://${host}:${this.port()}`;
  }

  async stop(): Promise<void> {
    const broker = this.broker;
    const server = this.server;
    this.broker = undefined;
    this.server = undefined;
    if (broker) await new Promise<void>((r) => broker.close(() => r()));
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
