// Real TCP peers for the chaos tests: upstream servers started on ephemeral ports and a client
// that records what arrives, when, and how the connection ended.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export type TestServer = {
  port: number;
  /** Sockets the server accepted, in order. */
  sockets: Socket[];
  /** Everything received, per accepted socket. */
  received: Buffer[][];
  stop: () => Promise<void>;
};

/** A server running `onConnection` for each client; it records what it receives. */
export async function startServer(onConnection: (socket: Socket) => void = () => {}): Promise<TestServer> {
  const sockets: Socket[] = [];
  const received: Buffer[][] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    const mine: Buffer[] = [];
    received.push(mine);
    socket.on('data', (d: Buffer) => mine.push(d));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    received,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** An echo server: every byte goes straight back. */
export function startEcho(): Promise<TestServer> {
  return startServer((socket) => socket.on('data', (d: Buffer) => socket.write(d)));
}

export type TestClient = {
  socket: Socket;
  /** Data events as they arrived, with the time each arrived. */
  chunks: { data: Buffer; at: number }[];
  bytes: () => number;
  text: () => string;
  /** Resolves when at least `n` bytes have arrived; rejects after `timeoutMs`. */
  waitForBytes: (n: number, timeoutMs?: number) => Promise<number>;
  /** Resolves with the time the socket closed and the error code that closed it, if any. */
  closed: Promise<{ at: number; error: string | undefined; ended: boolean }>;
  isClosed: () => boolean;
};

/** Connects to 127.0.0.1:`port` and records everything. */
export async function connectClient(port: number): Promise<TestClient> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const chunks: { data: Buffer; at: number }[] = [];
  let error: string | undefined;
  let ended = false;
  let isClosed = false;
  const waiters: (() => void)[] = [];
  socket.on('data', (data: Buffer) => {
    chunks.push({ data, at: performance.now() });
    for (const w of waiters.splice(0)) w();
  });
  socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
  socket.on('end', () => (ended = true));
  const closed = new Promise<{ at: number; error: string | undefined; ended: boolean }>((resolve) =>
    socket.on('close', () => {
      isClosed = true;
      for (const w of waiters.splice(0)) w();
      resolve({ at: performance.now(), error, ended });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const bytes = (): number => chunks.reduce((n, c) => n + c.data.length, 0);
  return {
    socket,
    chunks,
    bytes,
    text: () => Buffer.concat(chunks.map((c) => c.data)).toString(),
    waitForBytes: async (n, timeoutMs = 5000) => {
      const until = performance.now() + timeoutMs;
      while (bytes() < n) {
        if (isClosed) throw new Error(`connection closed after ${bytes()} of ${n} bytes`);
        const left = until - performance.now();
        if (left <= 0) throw new Error(`only ${bytes()} of ${n} bytes within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
      return performance.now();
    },
    closed,
    isClosed: () => isClosed,
  };
}

/** Resolves with true if `p` settles within `ms`, false otherwise. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const result = await Promise.race([p.then(() => true as const), timeout]);
  clearTimeout(timer);
  return result;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
