/**
 * A free TCP port on 127.0.0.1, for components whose port must stay the same across restarts (a
 * restarted API server must be where cloudcore's kubeconfig points; a proxy's upstream is fixed).
 * The port is free when asked; another process could take it before the component binds it, which
 * the component then reports as a busy port.
 */
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new RangeError('no port from listen(0)');
  return address.port;
}
