/**
 * The embedded MQTT broker: aedes over a TCP server, KubeEdge's internal broker (`mqttMode` 0,
 * `tcp://127.0.0.1:1884`, kubeedge-protocol.md §7.1; `edge/pkg/eventbus/mqtt/server.go`).
 *
 * - Port 0 picks a free port (tests, many nodes in one process); `port()` says which.
 * - A malformed packet closes that client's connection (aedes emits `clientError`); it is logged
 *   and the broker keeps serving everyone else.
 * - `stop()` closes every client connection and the listening socket, so no handle stays open.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { ResourceBusyError, errorMessage, type Logger } from '@edgeproof/core';

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
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.wantedPort, this.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await new Promise<void>((r) => broker.close(() => r()));
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new ResourceBusyError(
          `the embedded MQTT broker cannot listen on ${this.host}:${this.wantedPort}: the port is in use; stop the other broker or choose another port (eventbus broker.port)`,
          { cause: err },
        );
      throw new ResourceBusyError(
        `the embedded MQTT broker cannot listen on ${this.host}:${this.wantedPort}: ${errorMessage(err)}`,
        { cause: err, retriable: false },
      );
    }
    server.on('error', (err) => this.log.error('MQTT listener error', { error: err.message }));
    this.broker = broker;
    this.server = server;
    const address = server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : this.wantedPort;
    this.log.info('embedded MQTT broker listening', { host: this.host, port: this.boundPort });
  }

  /** The port it listens on (the real one when started with port 0). */
  port(): number {
    return this.boundPort ?? this.wantedPort;
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
