/**
 * The `labelSelector` query parameter: its grammar and matching as apimachinery's
 * `pkg/labels/selector.go` (`labels.Parse`, `Requirement.Matches`), key and value rules from
 * `pkg/util/validation/validation.go`. A malformed selector is a 400 BadRequest, as kube-apiserver
 * answers it (kubectl-contract.md §8), never a crash.
 *
 * The cloud's embedded API server has its own copy (cloud may not be imported from edge,
 * ARCHITECTURE.md §3); both could move to core.
 */

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | '>' | '<';
import { badRequest } from '@edgeproof/core';

/** One requirement; `values` has one entry for `=`, `!=`, `>`, `<`, none for `exists` and `!`. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** All requirements must hold; none selects everything. */
export type LabelSelector = readonly LabelRequirement[];

/** Characters that end a word and form operators (labels.Lexer `isSpecialSymbol`). */
const SPECIAL = new Set(['=', '!', '(', ')', ',', '<', '>']);
const OPERATORS = ['==', '!=', '=', '!', '<', '>', '(', ')', ','];

type Token = { kind: 'word' | 'symbol'; text: string } | { kind: 'end'; text: '' };

/** Splits into words and symbols; white space only separates. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      i++;
    } else if (SPECIAL.has(ch)) {
      const op = OPERATORS.find((o) => text.startsWith(o, i)) ?? ch;
      tokens.push({ kind: 'symbol', text: op });
      i += op.length;
    } else {
      let j = i;
      while (j < text.length && !SPECIAL.has(text.charAt(j)) && !/\s/.test(text.charAt(j))) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

const describe = (t: Token): string => (t.kind === 'end' ? 'end of string' : `'${t.text}'`);

/**
 * Parses `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`, `k>1`, `k<1`, joined by
 * commas. Throws a 400 ApiError that quotes the selector and says what was expected.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token => tokens[pos] ?? { kind: 'end', text: '' };
  const next = (): Token => tokens[Math.min(pos++, tokens.length - 1)] ?? { kind: 'end', text: '' };
  const fail = (found: Token, expected: string): never => {
    throw badRequest(
      `unable to parse label selector "${text}": found ${describe(found)}, expected ${expected}`,
    );
  };
  const word = (expected: string): string => {
    const t = next();
    return t.kind === 'word' ? t.text : fail(t, expected);
  };

  const requirements: LabelRequirement[] = [];
  if (peek().kind === 'end') return requirements;
  for (;;) {
    requirements.push(parseRequirement());
    const t = next();
    if (t.kind === 'end') break;
    if (t.text !== ',') fail(t, "',' or end of string");
  }
  // labels.Parse sorts by key, so equal selectors compare equal.
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  function parseRequirement(): LabelRequirement {
    if (peek().text === '!' && peek().kind === 'symbol') {
      next();
      return requirement(word('a label key after !'), '!', []);
    }
    const key = word('a label key');
    const t = peek();
    if (t.kind === 'end' || t.text === ',') return requirement(key, 'exists', []);
    next();
    if (t.kind === 'word' && (t.text === 'in' || t.text === 'notin')) {
      return requirement(key, t.text, parseSet());
    }
    if (t.text === '=' || t.text === '==' || t.text === '!=' || t.text === '<' || t.text === '>') {
      // `k=` selects the empty value, as in kube.
      const after = peek();
      const value = after.kind === 'end' || after.text === ',' ? '' : word('a label value');
      return requirement(key, t.text === '==' ? '=' : t.text, [value]);
    }
    return fail(t, 'one of =, ==, !=, in, notin, <, >');
  }

  /** `( a, b )`; an empty item is the empty value. */
  function parseSet(): string[] {
    const open = next();
    if (open.text !== '(') fail(open, "'('");
    const values: string[] = [];
    let item = '';
    for (;;) {
      const t = next();
      if (t.kind === 'word') {
        if (item !== '') fail(t, "',' or ')'");
        item = t.text;
      } else if (t.text === ',' || t.text === ')') {
        values.push(item);
        item = '';
        if (t.text === ')') return [...new Set(values)].sort();
      } else {
        fail(t, "a label value, ',' or ')'");
      }
    }
  }

  function requirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) throw badRequest(`invalid label key "${key}" in "${text}": ${keyProblem}`);
    for (const value of values) {
      const valueProblem = labelValueProblem(value);
      if (valueProblem !== undefined) {
        throw badRequest(`invalid label value "${value}" for key "${key}" in "${text}": ${valueProblem}`);
      }
      if ((operator === '<' || operator === '>') && parseInteger(value) === undefined) {
        throw badRequest(
          `invalid label value "${value}" for key "${key}" in "${text}": ${operator} needs an integer`,
        );
      }
    }
    return { key, operator, values };
  }
}

/** Whether `labels` satisfy every requirement (labels.Requirement.Matches). */
export function matchesLabelSelector(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const have = labels ?? {};
  return selector.every((r) => {
    const present = Object.hasOwn(have, r.key);
    const value = present ? (have[r.key] ?? '') : undefined;
    switch (r.operator) {
      case '=':
      case 'in':
        return value !== undefined && r.values.includes(value);
      case '!=':
      case 'notin':
        return value === undefined || !r.values.includes(value);
      case 'exists':
        return present;
      case '!':
        return !present;
      case '<':
      case '>': {
        // Both sides are integers (strconv.ParseInt); a label that is not one never matches.
        const actual = value === undefined ? undefined : parseInteger(value);
        const bound = parseInteger(r.values[0] ?? '');
        if (actual === undefined || bound === undefined) return false;
        return r.operator === '<' ? actual < bound : actual > bound;
      }
    }
  });
}

function parseInteger(text: string): bigint | undefined {
  return /^[+-]?\d{1,18}$/.test(text) ? BigInt(text) : undefined;
}

// validation.IsQualifiedName / IsValidLabelValue.
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** What is wrong with a label key (`[prefix/]name`), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return "a label key has at most one '/'";
  const name = parts.length === 2 ? (parts[1] ?? '') : key;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '' || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return 'the prefix must be a lower-case DNS subdomain of at most 253 characters (e.g. example.com)';
    }
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return "the name must be 1-63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  }
  return undefined;
}

/** What is wrong with a label value, or undefined; the empty value is valid. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return "a label value must be empty or 1-63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  }
  return undefined;
}
