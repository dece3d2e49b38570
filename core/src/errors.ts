/**
 * The error vocabulary (ARCHITECTURE.md §4, CONVENTIONS.md "Errors are a vocabulary"): every error
 * has a stable `code`, an optional `cause`, and says whether retrying can help.
 */
export type ErrorOptions = { cause?: unknown; retriable?: boolean };

export class EdgeproofError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Bad input from a user or a peer: a flag, a file, a request body. Retrying the same input cannot help. */
export class InvalidInputError extends EdgeproofError {
  constructor(message: string, options: Omit<ErrorOptions, 'retriable'> = {}) {
    super('EINVALID', message, { ...options, retriable: false });
  }
}

/** A port, file or lock that something else holds. */
export class ResourceBusyError extends EdgeproofError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('EBUSY', message, { retriable: true, ...options });
  }
}

/** Storage that is unreadable, corrupt or from another program. */
export class StorageError extends EdgeproofError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('ESTORAGE', message, { retriable: false, ...options });
  }
}

/** The message of any thrown value, for logs and CLI output. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
