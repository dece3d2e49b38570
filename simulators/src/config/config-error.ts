/**
 * Configuration problems with their place: the file, the line and the field, so a user can go
 * straight to the mistake (`sim.yaml:12: points[1].dataType: must be one of …`). Every problem
 * found in one pass is reported, not only the first.
 */
import { InvalidInputError } from '@edgeproof/core';

/** A path into a configuration document: keys and list indices. */
export type FieldPath = readonly (string | number)[];

/** Where a field sits in its source text (1-based). */
export type SourcePosition = { line: number; column: number };

/** One problem in a configuration. */
export type ConfigIssue = {
  /** The file, or a description such as `Device default/boiler` for objects not read from a file. */
  source: string;
  line?: number;
  column?: number;
  /** `points[1].signal.period`; empty for the document as a whole. */
  field: string;
  message: string;
};

/** A configuration with one or more problems; `issues` lists them, the message shows them all. */
export class ConfigError extends InvalidInputError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

/** `file:line: field: message`, the shape compilers use so editors can jump to it. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.source : `${issue.source}:${issue.line}`;
  return issue.field === '' ? `${where}: ${issue.message}` : `${where}: ${issue.field}: ${issue.message}`;
}

/** `['points', 1, 'signal']` → `points[1].signal`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/**
 * Collects the problems of one document. `locate` maps a field path to its position in the text;
 * without it (objects built in code) issues carry no line.
 */
export class IssueList {
  readonly source: string;
  private readonly locate: ((path: FieldPath) => SourcePosition | undefined) | undefined;
  private readonly list: ConfigIssue[] = [];

  constructor(source: string, locate?: (path: FieldPath) => SourcePosition | undefined) {
    this.source = source;
    this.locate = locate;
  }

  add(path: FieldPath, message: string): void {
    const pos = this.locate?.(path);
    this.list.push({
      source: this.source,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      field: formatPath(path),
      message,
    });
  }

  /** Adds an issue found elsewhere (another document of the same configuration). */
  addIssue(issue: ConfigIssue): void {
    this.list.push(issue);
  }

  get count(): number {
    return this.list.length;
  }

  issues(): readonly ConfigIssue[] {
    return this.list;
  }

  /** @throws ConfigError when any problem was recorded. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list);
  }
}
