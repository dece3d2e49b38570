/**
 * Reading @kubernetes/client-node failures: its `ApiException` carries the HTTP status in `code` and
 * the API server's `Status` object (often as JSON text) in `body`. Duck-typed rather than
 * `instanceof`, so a second copy of the library in node_modules cannot defeat the check.
 */
import { EdgeproofError, errorMessage } from '@edgeproof/core';

/** The HTTP status of a client-node API failure, or undefined for transport errors (refused, TLS, DNS). */
export function apiStatusCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = err.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

/** The API server's own words (`Status.message`) when it sent them, else the error's message. */
export function apiErrorMessage(err: unknown): string {
  const body = typeof err === 'object' && err !== null && 'body' in err ? err.body : undefined;
  let status: unknown = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      status = undefined;
    }
  }
  if (typeof status === 'object' && status !== null && 'message' in status) {
    const message = status.message;
    if (typeof message === 'string' && message !== '') return message;
  }
  const code = apiStatusCode(err);
  return code === undefined ? errorMessage(err) : `HTTP ${code}`;
}

/**
 * A Kubernetes API call that failed, saying what was being done. Retriable: the API server may be
 * restarting or briefly unreachable; a 4xx other than 409/429 is a configuration problem and is not.
 */
export function kubeApiError(doing: string, err: unknown): EdgeproofError {
  const code = apiStatusCode(err);
  const retriable = code === undefined || code >= 500 || code === 409 || code === 429;
  const hint =
    code === 401 || code === 403
      ? '; check that the kubeconfig grants cloudcore access to namespaces, secrets and nodes'
      : code === undefined
        ? '; check that the API server is running and the kubeconfig points at it'
        : '';
  return new EdgeproofError('EKUBEAPI', `cannot ${doing}: ${apiErrorMessage(err)}${hint}`, {
    cause: err,
    retriable,
  });
}
