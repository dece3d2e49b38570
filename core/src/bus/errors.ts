/**
 * The bus's error vocabulary (CONVENTIONS.md "Errors are a vocabulary"): each class has a stable
 * code and says whether a retry can help. Callers branch on the class or `code`, never on text.
 */
import { EdgeproofError, errorMessage } from '../errors.ts';
import type { OverflowPolicy } from './types.ts';

/** A module's mailbox had no room for a message; retriable because the module drains it. */
export class MailboxFullError extends EdgeproofError {
  readonly module: string;
  readonly capacity: number;
  readonly overflow: OverflowPolicy;

  constructor(module: string, capacity: number, overflow: OverflowPolicy, what = 'message refused') {
    super(
      'EMAILBOXFULL',
      `mailbox of module ${module} is full (capacity ${capacity}, overflow ${overflow}): ${what}; ` +
        'retry later or raise the capacity',
      { retriable: true },
    );
    this.module = module;
    this.capacity = capacity;
    this.overflow = overflow;
  }
}

/** No reply to a request arrived within its timeout; retriable because the peer may be slow. */
export class BusTimeoutError extends EdgeproofError {
  readonly module: string;
  readonly topic: string;
  readonly timeoutMs: number;

  constructor(module: string, topic: string, requestId: string, timeoutMs: number) {
    super(
      'EBUSTIMEOUT',
      `module ${module} did not reply to ${topic} request ${requestId} within ${timeoutMs} ms`,
      { retriable: true },
    );
    this.module = module;
    this.topic = topic;
    this.timeoutMs = timeoutMs;
  }
}

/** A message was addressed to a module name that is not registered on this bus. */
export class UnknownModuleError extends EdgeproofError {
  readonly module: string;

  constructor(module: string, busName: string) {
    super('EUNKNOWNMODULE', `bus ${busName} has no module named ${module}; register it before sending`, {
      retriable: false,
    });
    this.module = module;
  }
}

/** A second module tried to register under a name that is taken. */
export class DuplicateModuleError extends EdgeproofError {
  readonly module: string;

  constructor(module: string, busName: string) {
    super('EDUPLICATEMODULE', `bus ${busName} already has a module named ${module}; names are unique`, {
      retriable: false,
    });
    this.module = module;
  }
}

/** A module declared the topics it accepts and was sent another one: a programming error. */
export class TopicNotAcceptedError extends EdgeproofError {
  readonly module: string;
  readonly topic: string;

  constructor(module: string, topic: string) {
    super('ETOPICNOTACCEPTED', `module ${module} does not accept topic ${topic}; add it to its topics`, {
      retriable: false,
    });
    this.module = module;
    this.topic = topic;
  }
}

/** The bus was stopped: pending requests fail with this, and nothing more can be sent. */
export class BusStoppedError extends EdgeproofError {
  constructor(busName: string, what: string) {
    super('EBUSSTOPPED', `bus ${busName} is stopped: ${what}`, { retriable: false });
  }
}

/** A request was made before `start()`, when no timeout could be armed (no timers before start). */
export class BusNotStartedError extends EdgeproofError {
  constructor(busName: string, what: string) {
    super('EBUSNOTSTARTED', `bus ${busName} is not started: ${what}; call start() first`, {
      retriable: true,
    });
  }
}

/**
 * A module's handler threw while holding a request, so no reply will come from it; retriable only
 * when the handler's own error was.
 */
export class ModuleFailedError extends EdgeproofError {
  readonly module: string;

  constructor(module: string, topic: string, requestId: string, cause: unknown) {
    super(
      'EMODULEFAILED',
      `module ${module} failed handling ${topic} request ${requestId}: ${errorMessage(cause)}`,
      { cause, retriable: cause instanceof EdgeproofError && cause.retriable },
    );
    this.module = module;
  }
}
