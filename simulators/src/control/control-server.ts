/**
 * A small HTTP/JSON API to drive a running simulator from another process (the scenario runner):
 *
 *   GET    /state                  protocol, endpoint, fault, stats and points
 *   GET    /points                 every point with its current value and signal
 *   GET    /points/{name}          one point
 *   PUT    /points/{name}/signal   body: a signal model, e.g. {"kind":"sine","amplitude":5,"period":"10s"}
 *   PUT    /faults                 body: a fault, e.g. {"mode":"exception","code":"server-device-busy"}
 *   DELETE /faults                 back to normal operation
 *
 * Errors are `{"error":{"code","message"}}` with 400 (bad JSON, unknown mode or field), 404
 * (unknown point or path), 405, 413 (body over 1 MiB) or 500; a bad request never takes the
 * simulator down.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import {
  createLogger,
  EdgeproofError,
  errorMessage,
  InvalidInputError,
  listenOn,
  type Logger,
} from '@edgeproof/core';
import { ConfigError, IssueList } from '../config/config-error.ts';
import { parseSignal } from '../signals/parse-signal.ts';
import type { SignalModel } from '../signals/signal-model.ts';
import type { Simulator } from '../simulator.ts';

const MAX_BODY = 1 << 20;

export type ControlServerOptions = {
  simulator: Simulator;
  /** Default 127.0.0.1: the API changes the device's behaviour, keep it local unless asked. */
  host?: string;
  /** 0 (the default) takes any free port. */
  port?: number;
  logger?: Logger;
};

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class SimulatorControlServer {
  private readonly simulator: Simulator;
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly logger: Logger;
  private server: Server | undefined;
  private listeningPort: number | undefined;

  constructor(options: ControlServerOptions) {
    this.simulator = options.simulator;
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    this.logger = options.logger ?? createLogger('sim/control');
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error('control request failed', { err: errorMessage(err) });
        if (!res.headersSent) send(res, 500, { error: { code: 'EINTERNAL', message: errorMessage(err) } });
        else res.destroy();
      });
    });
    this.listeningPort = await listenOn(server, {
      port: this.requestedPort,
      host: this.host,
      who: "the simulator's control API",
      whenInUse: 'use another --control-port, or 0 for any free port',
    });
    server.on('error', (err) => this.logger.error('control API listener error', { err: errorMessage(err) }));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.listeningPort = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  port(): number | undefined {
    return this.listeningPort;
  }

  /** `http://127.0.0.1:PORT`; undefined while stopped. */
  url(): string | undefined {
    if (this.listeningPort === undefined) return undefined;
    const host = isIP(this.host) === 6 ? `[${this.host}]` : this.host;
    return `http://${host}:${this.listeningPort}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://control').pathname.replace(/\/+$/, '') || '/';
    try {
      const sim = this.simulator;
      if (path === '/state') {
        allow(method, ['GET']);
        return send(res, 200, sim.state());
      }
      if (path === '/points') {
        allow(method, ['GET']);
        return send(res, 200, sim.points());
      }
      if (path === '/faults') {
        allow(method, ['GET', 'PUT', 'DELETE']);
        if (method === 'GET') return send(res, 200, sim.fault());
        if (method === 'DELETE') {
          sim.clearFault();
          return send(res, 200, sim.fault());
        }
        // parseFault inside setFault checks the shape; anything but an object is a 400 there.
        const fault = sim.setFault((await readJson(req)) as Record<string, unknown>);
        return send(res, 200, fault);
      }
      const point = /^\/points\/([^/]+)(\/signal)?$/.exec(path);
      if (point) {
        const name = decodeURIComponent(point[1] ?? '');
        const snapshot = sim.points().find((p) => p.name === name);
        if (!snapshot) {
          throw new HttpError(
            404,
            'ENOTFOUND',
            `no point ${JSON.stringify(name)}; points are ${sim
              .points()
              .map((p) => p.name)
              .join(', ')}`,
          );
        }
        if (!point[2]) {
          allow(method, ['GET']);
          return send(res, 200, snapshot);
        }
        allow(method, ['PUT']);
        const issues = new IssueList('signal');
        const signal = parseSignal(await readJson(req), [], issues);
        issues.throwIfAny();
        sim.setSignal(name, signal as SignalModel);
        return send(
          res,
          200,
          sim.points().find((p) => p.name === name),
        );
      }
      throw new HttpError(404, 'ENOTFOUND', `no such path ${path}; try GET /state, GET /points, PUT /faults`);
    } catch (err) {
      if (err instanceof HttpError) {
        // An unread request body (413) leaves the connection unusable for the next request.
        if (err.status === 413) res.setHeader('connection', 'close');
        return send(res, err.status, { error: { code: err.code, message: err.message } });
      }
      if (err instanceof ConfigError) {
        return send(res, 400, { error: { code: err.code, message: err.message, issues: err.issues } });
      }
      if (err instanceof InvalidInputError)
        return send(res, 400, { error: { code: err.code, message: err.message } });
      if (err instanceof EdgeproofError)
        return send(res, 500, { error: { code: err.code, message: err.message } });
      throw err;
    }
  }
}

function allow(method: string, methods: readonly string[]): void {
  if (!methods.includes(method)) {
    throw new HttpError(405, 'EMETHOD', `method ${method} is not allowed here; use ${methods.join(' or ')}`);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'ETOOLARGE', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'EINVALID', 'request body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'EINVALID', `request body is not valid JSON: ${errorMessage(err)}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
