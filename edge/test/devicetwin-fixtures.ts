/**
 * Socket-test helpers for EventBus and DeviceTwin: a real mqtt.js client playing the mapper, a
 * real mosquitto on an ephemeral port, and waiting with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';

/** A mapper-side MQTT client that records every message on its subscriptions. */
export class TestMqttClient {
  readonly messages: Array<{ topic: string; payload: string }> = [];
  private readonly waiters: Array<{
    match: (topic: string) => boolean;
    resolve: (p: string) => void;
    from: number;
  }> = [];
  readonly client: MqttClient;
  private constructor(client: MqttClient) {
    this.client = client;
    client.on('message', (topic, payload) => {
      this.messages.push({ topic, payload: payload.toString('utf8') });
      this.wake();
    });
  }

  static async connect(url: string, clientId: string): Promise<TestMqttClient> {
    const client = connect(url, { clientId, reconnectPeriod: 100, connectTimeout: 5000 });
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return new TestMqttClient(client);
  }

  async subscribe(topic: string): Promise<void> {
    await this.client.subscribeAsync(topic, { qos: 1 });
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    await this.client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), {
      qos: 1,
    });
  }

  /** The next message (after those already seen by earlier waits) on a topic ending with `suffix`. */
  next(suffix: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const from = this.messages.length;
    return this.nextRaw((t) => t.endsWith(suffix), timeoutMs, from).then(
      (p) => JSON.parse(p) as Record<string, unknown>,
    );
  }

  /** The first message, from index `from` on, whose topic matches. */
  nextRaw(
    match: (topic: string) => boolean,
    timeoutMs: number,
    from = this.messages.length,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no MQTT message within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        from,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
      this.wake();
    });
  }

  async end(): Promise<void> {
    await this.client.endAsync(true);
  }

  private wake(): void {
    for (const w of [...this.waiters]) {
      const hit = this.messages.slice(w.from).find((m) => w.match(m.topic));
      if (hit) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(hit.payload);
      }
    }
  }
}

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a test broker). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export const MOSQUITTO = '/usr/sbin/mosquitto';

/** A real mosquitto on `port`, anonymous, loopback only; resolves once it accepts connections. */
export async function startMosquitto(dir: string, port: number): Promise<ChildProcess> {
  const conf = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 5000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`);
    if (await canConnect(port)) return proc;
    if (Date.now() > deadline) {
      proc.kill();
      throw new Error(`mosquitto did not listen on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops a process we started and waits for it to exit. */
export async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  await exited;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Waits until `cond()` holds, polling; throws after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
