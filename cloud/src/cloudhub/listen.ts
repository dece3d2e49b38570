/**
 * Binding cloudhub's listeners (:10000 and :10002), shared by both servers.
 *
 * The accept backlog is the kernel's `net.core.somaxconn` (4096 on current Linux), as Go's
 * listeners use it (`src/net/sock_linux.go`, `maxListenerBacklog`), so KubeEdge's cloudcore has it
 * too. Node's default is 511: when a site's thousands of nodes dial at once (after a power cut or a
 * cloudcore restart), a full queue makes the kernel drop or reset connections and each node waits
 * out a retry. Linux caps a larger request at somaxconn (listen(2)), so asking for the most is safe.
 */
import type { Server } from 'node:net';
import { ResourceBusyError } from '@edgeproof/core';

/** Asked of listen(2); the kernel caps it at `net.core.somaxconn`. */
export const LISTEN_BACKLOG = 65_535;

/**
 * Listens on `port` (0: a free one) and `host`, resolving once bound. An address in use is a
 * `ResourceBusyError` saying so: `consequence` is what cannot happen, e.g. "cloudhub cannot listen".
 */
export function listenOn(
  server: Server,
  port: number,
  host: string | undefined,
  consequence: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(
        err.code === 'EADDRINUSE'
          ? new ResourceBusyError(
              `port ${port} is in use, so ${consequence}; stop what holds it or configure another port`,
              { cause: err },
            )
          : err,
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, backlog: LISTEN_BACKLOG });
  });
}
