/**
 * Label and field selectors as kube-apiserver parses and matches them: the `labelSelector` and
 * `fieldSelector` query parameters of list and watch, and metav1.LabelSelector objects.
 * Label selectors follow k8s.io/apimachinery `pkg/labels/selector.go` (its lexer, grammar and
 * error wording); field selectors follow `pkg/fields/selector.go`; key and value rules follow
 * `pkg/util/validation/validation.go`. A bad selector is a 400, as the apiserver's query-parameter
 * conversion makes it.
 */
import { ApiError, badRequest } from './status.ts';

// ---------------------------------------------------------------------------------------------
// Label selectors
// ---------------------------------------------------------------------------------------------

/** selection.Operator values a label requirement may use. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement of a label selector (labels.Requirement). */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Values for in/notin (a set), exactly one for =, ==, !=, gt, lt; none for exists and `!`. */
  readonly values: readonly string[];
}

/** A label selector: all requirements must hold. */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** labels.Nothing(): what a nil metav1.LabelSelector selects. */
  readonly matchesNothing?: boolean;
}

/** metav1.LabelSelector, as stored in objects (Deployment.spec.selector, ...). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * Parses a `labelSelector` query parameter (labels.Parse): comma-separated requirements, each
 * `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`, `k>1` or `k<1`. The empty string
 * selects everything. Throws ApiError 400 naming the bad part.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const requirements = new LabelParser(text).parse();
  // labels.parse sorts by key for a deterministic selector.
  return { requirements: requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

/**
 * Converts a metav1.LabelSelector (metav1.LabelSelectorAsSelector): matchLabels are `=`
 * requirements; matchExpressions use In, NotIn, Exists or DoesNotExist. A null or absent selector
 * matches nothing; an empty one matches everything. Throws ApiError 400 for invalid content.
 */
export function labelSelectorFromObject(selector: LabelSelectorObject | null | undefined): LabelSelector {
  if (selector === null || selector === undefined) return { requirements: [], matchesNothing: true };
  if (typeof selector !== 'object' || Array.isArray(selector)) {
    throw badRequest('a label selector must be an object with matchLabels and/or matchExpressions');
  }
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (typeof value !== 'string') {
      throw badRequest(`matchLabels[${key}]: Invalid value: ${JSON.stringify(value)}: must be a string`);
    }
    requirements.push(newRequirement(key, '=', [value]));
  }
  for (const expression of selector.matchExpressions ?? []) {
    const operator = EXPRESSION_OPERATORS.get(expression.operator);
    if (operator === undefined) {
      throw badRequest(`"${expression.operator}" is not a valid label selector operator`);
    }
    const values: unknown = expression.values ?? [];
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
      throw badRequest(`matchExpressions[${expression.key}].values: must be a list of strings`);
    }
    requirements.push(newRequirement(expression.key, operator, [...values]));
  }
  return { requirements };
}

/** metav1.LabelSelectorOperator → selection.Operator (LabelSelectorAsSelector). */
const EXPRESSION_OPERATORS: ReadonlyMap<string, LabelOperator> = new Map([
  ['In', 'in'],
  ['NotIn', 'notin'],
  ['Exists', 'exists'],
  ['DoesNotExist', '!'],
]);

/** Whether an object with `labels` is selected (labels.Selector.Matches). */
export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  if (selector.matchesNothing) return false;
  return selector.requirements.every((requirement) => matchesRequirement(requirement, labels ?? {}));
}

/** labels.Requirement.Matches. */
function matchesRequirement(requirement: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = has ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'in':
    case '=':
    case '==':
      return has && requirement.values.includes(value ?? '');
    case 'notin':
    case '!=':
      return !has || !requirement.values.includes(value ?? '');
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      // Both sides are strconv.ParseInt(…, 10, 64); a label that is not an integer never matches.
      const actual = has ? parseInt64(value ?? '') : undefined;
      const bound = parseInt64(requirement.values[0] ?? '');
      if (actual === undefined || bound === undefined) return false;
      return requirement.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

/**
 * labels.NewRequirement: validates the key, the number of values for the operator, and each
 * value. Errors use apimachinery's field.Error wording; several are listed as `[a, b]`.
 */
function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errors: string[] = [];
  const keyErrors = qualifiedNameErrors(key);
  if (keyErrors.length > 0) {
    errors.push(`key: Invalid value: ${JSON.stringify(key)}: ${keyErrors.join('; ')}`);
  }
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) {
        errors.push(`values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`);
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) {
        errors.push(
          `values: Invalid value: ${JSON.stringify(values)}: exact-match compatibility requires one single value`,
        );
      }
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) {
        errors.push(
          `values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`,
        );
      }
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) {
        errors.push(
          `values: Invalid value: ${JSON.stringify(values)}: for 'Gt', 'Lt' operators, exactly one value is required`,
        );
      }
      values.forEach((value, i) => {
        if (parseInt64(value) === undefined) {
          errors.push(
            `values[${i}]: Invalid value: ${JSON.stringify(value)}: for 'Gt', 'Lt' operators, the value must be an integer`,
          );
        }
      });
      break;
  }
  values.forEach((value, i) => {
    const valueErrors = labelValueErrors(value);
    if (valueErrors.length > 0) {
      errors.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(value)}: ${valueErrors.join('; ')}`);
    }
  });
  if (errors.length === 1) throw badRequest(errors[0] ?? '');
  if (errors.length > 1) throw badRequest(`[${errors.join(', ')}]`);
  return { key, operator, values };
}

/** strconv.ParseInt(s, 10, 64), or undefined when it would fail. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= -(2n ** 63n) && value < 2n ** 63n ? value : undefined;
}

// The label selector lexer and parser (labels.Lexer, labels.Parser).

type Token = 'end' | 'id' | 'in' | 'notin' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<';

interface ScannedItem {
  readonly token: Token;
  readonly literal: string;
}

/** labels string2token, symbols part. */
const SYMBOLS: ReadonlyMap<string, Token> = new Map<string, Token>([
  ['(', '('],
  [')', ')'],
  [',', ','],
  ['!', '!'],
  ['=', '='],
  ['==', '=='],
  ['!=', '!='],
  ['>', '>'],
  ['<', '<'],
]);

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecialSymbol = (ch: string): boolean => '=!(),><'.includes(ch);

/** labels.Lexer: whitespace separates; a run of symbols is read as the longest operator. */
function lex(text: string): ScannedItem[] {
  const items: ScannedItem[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && isWhitespace(text.charAt(pos))) pos++;
    if (pos >= text.length) {
      items.push({ token: 'end', literal: '' });
      return items;
    }
    const start = pos;
    if (isSpecialSymbol(text.charAt(pos))) {
      let literal = text.charAt(pos++);
      while (pos < text.length && SYMBOLS.has(literal + text.charAt(pos))) literal += text.charAt(pos++);
      items.push({ token: SYMBOLS.get(literal) ?? '!', literal });
    } else {
      while (pos < text.length && !isSpecialSymbol(text.charAt(pos)) && !isWhitespace(text.charAt(pos)))
        pos++;
      const literal = text.slice(start, pos);
      items.push({ token: literal === 'in' ? 'in' : literal === 'notin' ? 'notin' : 'id', literal });
    }
  }
}

/** Where the parser is: after a key `in`/`notin` are operators, elsewhere they are plain words. */
type ParserContext = 'keyAndOperator' | 'values';

/** labels.Parser.parseOperator: the tokens that are binary operators. */
const OPERATOR_TOKENS: ReadonlyMap<Token, LabelOperator> = new Map<Token, LabelOperator>([
  ['in', 'in'],
  ['notin', 'notin'],
  ['=', '='],
  ['==', '=='],
  ['!=', '!='],
  ['>', 'gt'],
  ['<', 'lt'],
]);

/** binaryOperators, as labels.Parser lists them when an operator is missing. */
const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

class LabelParser {
  private readonly items: ScannedItem[];
  private position = 0;

  constructor(text: string) {
    this.items = lex(text);
  }

  /** labels.Parser.parse. */
  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { token, literal } = this.lookahead('values');
      if (token === 'end') return requirements;
      if (token !== 'id' && token !== '!') {
        throw badRequest(`found '${literal}', expected: !, identifier, or 'end of string'`);
      }
      requirements.push(this.parseRequirement());
      const next = this.consume('values');
      if (next.token === 'end') return requirements;
      if (next.token !== ',') throw badRequest(`found '${next.literal}', expected: ',' or 'end of string'`);
      const after = this.lookahead('values');
      if (after.token !== 'id' && after.token !== '!') {
        throw badRequest(`found '${after.literal}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    try {
      const { key, operator: inferred } = this.parseKeyAndInferOperator();
      if (inferred !== undefined) return newRequirement(key, inferred, []);
      const operator = this.parseOperator();
      const values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
      // sets.String: unique and sorted.
      return newRequirement(key, operator, [...new Set(values)].sort());
    } catch (err) {
      // labels.Parser.parse wraps every requirement error this way.
      if (err instanceof ApiError) throw badRequest(`unable to parse requirement: ${err.message}`);
      throw err;
    }
  }

  /** A key, optionally after `!`; with no operator after it, the requirement is `exists` (or `!`). */
  private parseKeyAndInferOperator(): { key: string; operator: 'exists' | '!' | undefined } {
    let item = this.consume('values');
    const negated = item.token === '!';
    if (negated) item = this.consume('values');
    if (item.token !== 'id') throw badRequest(`found '${item.literal}', expected: identifier`);
    const keyErrors = qualifiedNameErrors(item.literal);
    if (keyErrors.length > 0) {
      throw badRequest(`key: Invalid value: ${JSON.stringify(item.literal)}: ${keyErrors.join('; ')}`);
    }
    if (negated) return { key: item.literal, operator: '!' };
    const next = this.lookahead('values').token;
    return { key: item.literal, operator: next === 'end' || next === ',' ? 'exists' : undefined };
  }

  private parseOperator(): LabelOperator {
    const { token, literal } = this.consume('keyAndOperator');
    const operator = OPERATOR_TOKENS.get(token);
    if (operator === undefined) throw badRequest(`found '${literal}', expected: ${BINARY_OPERATORS}`);
    return operator;
  }

  /** `( v1, v2, ... )`; empty items are the empty string. */
  private parseValues(): string[] {
    const open = this.consume('values');
    if (open.token !== '(') throw badRequest(`found '${open.literal}' expected: '('`);
    const { token, literal } = this.lookahead('values');
    if (token === ')') {
      this.consume('values');
      return [''];
    }
    if (token !== 'id' && token !== ',') {
      throw badRequest(`found '${literal}', expected: ',', ')' or identifier`);
    }
    const values = this.parseIdentifiersList();
    const close = this.consume('values');
    if (close.token !== ')') throw badRequest(`found '${close.literal}', expected: ')'`);
    return values;
  }

  /** labels.Parser.parseIdentifiersList: `a,b`, `a,,b`, `,a` and `a,` (empty items are ''). */
  private parseIdentifiersList(): string[] {
    const values: string[] = [];
    for (;;) {
      const { token, literal } = this.consume('values');
      if (token === 'id') {
        values.push(literal);
        const next = this.lookahead('values');
        if (next.token === ',') continue;
        if (next.token === ')') return values;
        throw badRequest(`found '${next.literal}', expected: ',' or ')'`);
      }
      if (token !== ',') throw badRequest(`found '${literal}', expected: ',', or identifier`);
      if (values.length === 0) values.push('');
      const next = this.lookahead('values').token;
      if (next === ')') {
        values.push('');
        return values;
      }
      if (next === ',') {
        this.consume('values');
        values.push('');
      }
    }
  }

  /** The single value after `=`, `==`, `!=`, `>` or `<`; none (end or `,`) is the empty string. */
  private parseExactValue(): string[] {
    const next = this.lookahead('values').token;
    if (next === 'end' || next === ',') return [''];
    const { token, literal } = this.consume('values');
    if (token !== 'id') throw badRequest(`found '${literal}', expected: identifier`);
    return [literal];
  }

  private lookahead(context: ParserContext): ScannedItem {
    return this.inContext(this.items[this.position], context);
  }

  private consume(context: ParserContext): ScannedItem {
    const item = this.items[this.position];
    if (this.position < this.items.length - 1) this.position++;
    return this.inContext(item, context);
  }

  /** In the values context the keywords `in` and `notin` are identifiers (`x in (in)`). */
  private inContext(item: ScannedItem | undefined, context: ParserContext): ScannedItem {
    const scanned = item ?? { token: 'end', literal: '' };
    if (context === 'values' && (scanned.token === 'in' || scanned.token === 'notin')) {
      return { token: 'id', literal: scanned.literal };
    }
    return scanned;
  }
}

// ---------------------------------------------------------------------------------------------
// Field selectors
// ---------------------------------------------------------------------------------------------

export type FieldOperator = '=' | '==' | '!=';

/** One term of a field selector: `field=value`, `field==value` or `field!=value`. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: FieldOperator;
  /** The value with escapes removed. */
  readonly value: string;
}

/** A field selector: all terms must hold. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
}

/** fields `termOperators`; `=` must come last so `==` and `!=` are tried first. */
const FIELD_OPERATORS: readonly FieldOperator[] = ['!=', '==', '='];

/**
 * Parses a `fieldSelector` query parameter (fields.ParseSelector): comma-separated terms
 * `field=value`, `field==value`, `field!=value`. In values, `\,` `\=` and `\\` stand for `,` `=`
 * and `\`. The empty string selects everything. Throws ApiError 400 naming the bad part.
 */
export function parseFieldSelector(text: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const part of splitTerms(text)) {
    if (part === '') continue;
    const term = splitTerm(part);
    if (term === undefined) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    requirements.push({ field: term.field, operator: term.operator, value: unescapeFieldValue(term.value) });
  }
  return { requirements };
}

/**
 * Whether an object is selected; `get` returns the object's value for a field path. As in
 * kube's field sets, a missing field counts as the empty string (`spec.nodeName=` selects
 * unscheduled pods).
 */
export function matchesFields(selector: FieldSelector, get: (path: string) => string | undefined): boolean {
  return selector.requirements.every((requirement) => {
    const equal = (get(requirement.field) ?? '') === requirement.value;
    return requirement.operator === '!=' ? !equal : equal;
  });
}

/**
 * The distinct field paths a selector uses, in order, so the caller can answer
 * `field label not supported: <field>` (400) for one its kind does not index.
 */
export function fieldPaths(selector: FieldSelector): string[] {
  return [...new Set(selector.requirements.map((requirement) => requirement.field))];
}

/** fields.splitTerms: split on commas not escaped by a backslash (escapes stay for later). */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (inSlash) inSlash = false;
    else if (ch === '\\') inSlash = true;
    else if (ch === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** fields.splitTerm: the first operator found splits the term; the field part has no escapes. */
function splitTerm(term: string): { field: string; operator: FieldOperator; value: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const operator of FIELD_OPERATORS) {
      if (term.startsWith(operator, i)) {
        return { field: term.slice(0, i), operator, value: term.slice(i + operator.length) };
      }
    }
  }
  return undefined;
}

/** fields.UnescapeValue: `\\`, `\,` and `\=` are the only escapes; bare `,` and `=` are errors. */
function unescapeFieldValue(value: string): string {
  let result = '';
  let inSlash = false;
  for (const ch of value) {
    if (inSlash) {
      if (ch !== '\\' && ch !== ',' && ch !== '=') {
        throw badRequest(
          `invalid field selector: invalid escape sequence: \\${ch} (only \\\\, \\, and \\= are allowed)`,
        );
      }
      result += ch;
      inSlash = false;
    } else if (ch === '\\') {
      inSlash = true;
    } else if (ch === ',' || ch === '=') {
      throw badRequest(`invalid field selector: unescaped character in value: '${ch}' (write it as \\${ch})`);
    } else {
      result += ch;
    }
  }
  if (inSlash) {
    throw badRequest(
      'invalid field selector: invalid escape sequence: \\ (a value cannot end in a lone backslash)',
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Key and value rules (k8s.io/apimachinery pkg/util/validation/validation.go)
// ---------------------------------------------------------------------------------------------

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MAX_LENGTH = 63;
const QUALIFIED_NAME_ERR =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

const LABEL_VALUE_FMT = '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?';
const LABEL_VALUE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MAX_LENGTH = 63;
const LABEL_VALUE_ERR =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const DNS1123_SUBDOMAIN_ERR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

/** validation.RegexError. */
function regexError(message: string, format: string, ...examples: string[]): string {
  const eg = examples.map((example) => `'${example}', `).join(' or ');
  return `${message} (e.g. ${eg}regex used for validation is '${format}')`;
}

/**
 * validation.IsQualifiedName, the rule for label keys: an optional DNS-subdomain prefix and `/`,
 * then a name of at most 63 alphanumerics, `-`, `_`, `.`. Returns what is wrong; empty if valid.
 */
export function qualifiedNameErrors(value: string): string[] {
  const errors: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) {
      errors.push('prefix part must be non-empty');
    } else {
      if (prefix.length > DNS1123_SUBDOMAIN_MAX_LENGTH) {
        errors.push(`prefix part must be no more than ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`);
      }
      if (!DNS1123_SUBDOMAIN.test(prefix)) {
        errors.push(`prefix part ${regexError(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, 'example.com')}`);
      }
    }
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) {
    errors.push('name part must be non-empty');
  } else if (name.length > QUALIFIED_NAME_MAX_LENGTH) {
    errors.push(`name part must be no more than ${QUALIFIED_NAME_MAX_LENGTH} characters`);
  }
  if (!QUALIFIED_NAME.test(name)) {
    errors.push(
      `name part ${regexError(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`,
    );
  }
  return errors;
}

/**
 * validation.IsValidLabelValue: empty, or at most 63 alphanumerics, `-`, `_`, `.` starting and
 * ending with an alphanumeric. Returns what is wrong; empty if valid.
 */
export function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > LABEL_VALUE_MAX_LENGTH) {
    errors.push(`must be no more than ${LABEL_VALUE_MAX_LENGTH} characters`);
  }
  if (!LABEL_VALUE.test(value)) {
    errors.push(regexError(LABEL_VALUE_ERR, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  }
  return errors;
}
