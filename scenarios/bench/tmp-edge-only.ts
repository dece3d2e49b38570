// TEMPORARY (not committed): the edge side alone — 10 DeviceServices, a cloud link that ACKs at once.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Session } from 'node:inspector/promises';
import { SystemClock, createLogger, messageBuilder, MESSAGE_OK, type Message } from '@edgeproof/core';
import { createDeviceServices, type DeviceServices } from '@edgeproof/edge';

const clock = new SystemClock();
const logger = createLogger('x', { level: 'error' });
const dir = mkdtempSync(join(tmpdir(), 'edge-only-'));
const builder = messageBuilder({ clock });
const services: DeviceServices[] = [];
let sent = 0;
for (let n = 1; n <= 10; n++) {
  const s: DeviceServices = createDeviceServices({
    nodeName: `edge-${n}`,
    dataDir: join(dir, `edge-${n}`),
    broker: { mode: 'internal', port: 0 },
    cloud: {
      send: (m: Message) => {
        sent++;
        setTimeout(() => {
          const ack = builder.newResponse(m, MESSAGE_OK);
          ack.route = { source: 'devicecontroller', group: 'twin', operation: 'response', resource: 'twin' };
          s.handleCloudMessage(ack);
        }, Number(process.env.ACK_MS ?? 20));
      },
      connected: () => true,
    },
    clock,
    logger,
  });
  mkdirSync(join(dir, `edge-${n}`), { recursive: true });
  await s.start();
  await s.eventBus.whenConnected();
  const added = Array.from({ length: 100 }, (_, i) => ({ id: `default/sensor-${n}-${i}`, name: `sensor-${n}-${i}`, twin: {} }));
  s.handleCloudMessage(builder.newMessage({ source: 'devicecontroller', group: 'twin', operation: 'update', resource: 'membership', content: { event_id: 'm', timestamp: 1, added_devices: added, removed_devices: [] } }));
  services.push(s);
}
const brokers = services.map((s) => s.eventBus.brokerUrl());
const seconds = Number(process.env.SECONDS ?? 8);
const child = spawn(process.execPath, [join(import.meta.dirname, 'twin-bench.ts'), 'publishers', JSON.stringify({ brokers, run: 'x', seconds, window: Number(process.env.WINDOW ?? 100), clientsPerNode: 1 })], { stdio: ['pipe', 'pipe', 'inherit'] });
const total = () => services.reduce((a, s) => a + s.deviceTwin.stats().twinUpdates, 0);
createInterface({ input: child.stdout }).on('line', async (l) => {
  const e = JSON.parse(l);
  if (e.event === 'connected') {
    let session: Session | undefined;
    if (process.env.PROF) { session = new Session(); session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.start'); }
    const c0 = process.cpuUsage(); const t0 = Date.now(); const n0 = total(); const s0 = sent;
    child.stdin.write('go\n');
    setTimeout(async () => {
      const cpu = process.cpuUsage(c0); const dt = (Date.now() - t0) / 1000; const n = total() - n0;
      console.log(`edge-only: ${Math.round(n / dt)} updates/s, edge CPU ${((cpu.user + cpu.system) / 1e6 / dt).toFixed(2)} cores, ${Math.round(((cpu.user + cpu.system) / n))} µs/update, cloud msgs ${Math.round((sent - s0) / dt)}/s`);
      if (session) { const { profile } = await session.post('Profiler.stop'); writeFileSync(process.env.PROF!, JSON.stringify(profile)); }
    }, seconds * 1000);
  }
  if (e.event === 'done') {
    for (const s of services) await s.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }
});
