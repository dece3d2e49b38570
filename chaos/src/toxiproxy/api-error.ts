/**
 * The errors of Toxiproxy's HTTP API, with the messages and status codes of Shopify/toxiproxy
 * `api.go` (`ErrBadRequestBody` …, `joinError`). On the wire they are `{"error":"…","status":N}`.
 */
export class ApiError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }

  /** api.go `joinError`: the wrapper's message, ": ", the cause; the wrapper's status. */
  static join(cause: string, wrapper: ApiError): ApiError {
    return new ApiError(`${wrapper.message}: ${cause}`, wrapper.status);
  }

  toJSON(): { error: string; status: number } {
    return { error: this.message, status: this.status };
  }
}

// api.go `var (...)`: the exact messages real Toxiproxy sends.
export const ErrBadRequestBody = new ApiError('bad request body', 400);
export const ErrMissingField = new ApiError('missing required field', 400);
export const ErrProxyNotFound = new ApiError('proxy not found', 404);
export const ErrProxyAlreadyExists = new ApiError('proxy already exists', 409);
export const ErrInvalidStream = new ApiError('stream was invalid, can be either upstream or downstream', 400);
export const ErrInvalidToxicType = new ApiError('invalid toxic type', 400);
export const ErrToxicAlreadyExists = new ApiError('toxic already exists', 409);
export const ErrToxicNotFound = new ApiError('toxic not found', 404);

/** api.go `apiError`: an error without a status code is a 500 with its message. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(err instanceof Error ? err.message : String(err), 500);
}
