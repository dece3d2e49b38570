/**
 * The runner's errors (CONVENTIONS.md "Errors are a vocabulary"): a scenario that does not
 * validate (exit 2, before anything starts), a step whose expectation was not met (expected vs
 * seen), a bench that could not come up, and a run that failed or was interrupted (exit 1).
 */
import { EdgeproofError, InvalidInputError, type ErrorOptions } from '@edgeproof/core';

/** One problem in a scenario file, with its place. */
export type ScenarioIssue = { file: string; line?: number; field: string; message: string };

/** `file:line: field: message`, the shape compilers use so editors can jump to it. */
export function formatIssue(issue: ScenarioIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return issue.field === '' ? `${where}: ${issue.message}` : `${where}: ${issue.field}: ${issue.message}`;
}

/** One or more scenario files that do not validate; the message lists every problem. */
export class ScenarioInvalidError extends InvalidInputError {
  readonly issues: readonly ScenarioIssue[];

  constructor(issues: readonly ScenarioIssue[]) {
    super(
      `${issues.length} problem${issues.length === 1 ? '' : 's'} in the scenario${new Set(issues.map((i) => i.file)).size === 1 ? '' : 's'}:\n` +
        issues.map(formatIssue).join('\n'),
    );
    this.issues = issues;
  }
}

/** A step whose expectation did not hold: what was expected and what was seen instead. */
export class StepFailedError extends EdgeproofError {
  readonly expected: string;
  readonly seen: string;

  constructor(expected: string, seen: string, options: ErrorOptions = {}) {
    super('ESTEPFAILED', `expected ${expected}, seen ${seen}`, { ...options, retriable: false });
    this.expected = expected;
    this.seen = seen;
  }
}

/** A bench component that did not start, or stopped when it should run. */
export class BenchError extends EdgeproofError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('EBENCH', message, { retriable: false, ...options });
  }
}

/** The run ended because it was interrupted (SIGINT/SIGTERM) or ran out of time. */
export class RunAbortedError extends EdgeproofError {
  constructor(message: string, code: 'EINTERRUPTED' | 'ETIMEOUT' = 'EINTERRUPTED') {
    super(code, message, { retriable: false });
  }
}

/** At least one scenario failed; the details were printed and written to the reports. */
export class ScenarioFailedError extends EdgeproofError {
  constructor(message: string) {
    super('EFAILED', message, { retriable: false });
  }
}
