/**
 * A Toxiproxy API call that failed: `status` is the HTTP status (404 no such proxy or toxic, 409
 * it exists already, 400 bad input, 500 the server could not do it — e.g. the listen port is
 * taken), or undefined when the server could not be reached at all (retriable).
 */
import { EdgeproofError } from '@edgeproof/core';

export class ToxiproxyRequestError extends EdgeproofError {
  readonly status: number | undefined;

  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(options.status === undefined ? 'EUNAVAILABLE' : 'ETOXIPROXY', message, {
      cause: options.cause,
      retriable: options.status === undefined || options.status >= 500,
    });
    this.status = options.status;
  }
}
