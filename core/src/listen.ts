/**
 * Binding a listener, for every server edgeproof runs (cloudhub's :10000 and :10002, the API
 * server, MetaServer, the MQTT broker, the simulators and their control API), so that a port
 * that cannot be had is refused in one wording everywhere: what cannot listen, where, why, and
 * what to do about it.
 *
 * The accept backlog is the kernel's `net.core.somaxconn` (4096 on current Linux), as Go's
 * listeners use it (`src/net/sock_linux.go`, `maxListenerBacklog`), so KubeEdge's cloudcore has it
 * too. Node's default is 511: when a site's thousands of nodes dial at once (after a power cut or a
 * cloudcore restart), a full queue makes the kernel drop or reset connections and each node waits
 * out a retry. Linux caps a larger request at somaxconn (listen(2)), so asking for the most is
 * safe for any server.
 */
import type { Server } from 'node:net';
import { EdgeproofError, ResourceBusyError, errorMessage } from './errors.ts';

/** Asked of listen(2); the kernel caps it at `net.core.somaxconn`. */
export const LISTEN_BACKLOG = 65_535;

export interface ListenRequest {
  /** 0: any free port. */
  port: number;
  /** Undefined: every interface, as Node's `listen` takes it. */
  host?: string;
  /** Who listens, as the error names it: "cloudhub", "the API server". */
  who: string;
  /** What to do when the port is taken: "stop it or choose another port (--apiserver-port)". */
  whenInUse: string;
}

/**
 * Listens as asked and resolves with the port bound (the real one for port 0). Refusals:
 * - EADDRINUSE: `ResourceBusyError` "<who> cannot listen on <host>:<port>: the port is in use; <whenInUse>";
 * - EACCES: `ResourceBusyError` naming the privileged port (below 1024 needs root on Linux);
 * - anything else (EADDRNOTAVAIL for an address not on this machine, say): `EdgeproofError`
 *   ELISTEN with the system's reason.
 */
export function listenOn(server: Server, request: ListenRequest): Promise<number> {
  const { port, host } = request;
  return new Promise<number>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(listenFailure(request, err.code, err));
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, backlog: LISTEN_BACKLOG });
  });
}

/**
 * The error `listenOn` rejects with, for the system error `code` (EADDRINUSE, EACCES, …) of
 * `cause`; also for a server that binds through a library of its own (node-opcua), so that it
 * words its refusal as every other server does.
 */
export function listenFailure(
  request: ListenRequest,
  code: string | undefined,
  cause: unknown,
): EdgeproofError {
  const cannot = `${request.who} cannot listen on ${request.host ?? ''}:${request.port}`;
  if (code === 'EADDRINUSE') {
    return new ResourceBusyError(`${cannot}: the port is in use; ${request.whenInUse}`, { cause });
  }
  if (code === 'EACCES') {
    return new ResourceBusyError(
      `${cannot}: no permission to bind the port (below 1024 needs root); choose a port above 1023`,
      { cause, retriable: false },
    );
  }
  return new EdgeproofError('ELISTEN', `${cannot}: ${errorMessage(cause)}`, { cause });
}
