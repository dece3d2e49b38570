/**
 * The `fieldSelector` query parameter as apimachinery's `pkg/fields/selector.go` parses it
 * (`fields.ParseSelector`: `f=v`, `f==v`, `f!=v` joined by commas; `\,` `\=` `\\` escape a value),
 * limited to the fields kube-apiserver lets a kind be selected by (`ToSelectableFields`, listed in
 * resources.ts). A malformed selector or an unsupported field is a 400 BadRequest
 * (kubectl-contract.md §8); `kubectl describe` needs field selectors to work (§6).
 *
 * The cloud's embedded API server has its own copy (ARCHITECTURE.md §3 forbids importing it); both
 * could move to core.
 */
import { OBJECT_META_FIELDS, type ServedResource } from './resources.ts';
import { badRequest } from '@edgeproof/core';

export interface FieldRequirement {
  readonly field: string;
  readonly equal: boolean;
  readonly value: string;
}

/** All requirements must hold; none selects everything. */
export type FieldSelector = readonly FieldRequirement[];

/**
 * Parses a field selector and checks each field is one `resource` can be selected by. Throws a 400
 * ApiError naming the bad term or field.
 */
export function parseFieldSelector(text: string, resource: ServedResource): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const term of splitUnescaped(text, ',')) {
    if (term === '') continue;
    // fields.splitTerm: the first operator wins; `!=` and `==` are tried before `=`.
    const at = term.search(/!=|==|=/);
    if (at <= 0)
      throw badRequest(`invalid field selector "${text}": "${term}" is not field=value or field!=value`);
    const op = term.startsWith('!=', at) ? '!=' : term.startsWith('==', at) ? '==' : '=';
    const field = term.slice(0, at);
    if (!(OBJECT_META_FIELDS as readonly string[]).includes(field) && !resource.fields.includes(field)) {
      // kube-apiserver's conversion error for an unknown field label.
      throw badRequest(`field label not supported: ${field}`);
    }
    requirements.push({ field, equal: op !== '!=', value: unescape(term.slice(at + op.length), text) });
  }
  return requirements;
}

/** Whether `object` satisfies every requirement. A missing field reads as the empty string. */
export function matchesFieldSelector(selector: FieldSelector, object: Record<string, unknown>): boolean {
  return selector.every((r) => (fieldValue(object, r.field) === r.value) === r.equal);
}

/** Booleans kube renders with strconv.FormatBool, so an absent one selects as `false`. */
const BOOLEAN_FIELDS = new Set(['spec.unschedulable', 'spec.hostNetwork']);

/** The string value of a selectable field, as the kind's `ToSelectableFields` renders it. */
export function fieldValue(object: Record<string, unknown>, field: string): string {
  // Events: `source` is source.component, falling back to reportingController (event strategy.go).
  if (field === 'source') {
    return text(at(object, 'source.component')) || text(at(object, 'reportingController'));
  }
  if (field === 'reportingComponent') return text(at(object, 'reportingController'));
  const value = at(object, field);
  if (value === undefined && BOOLEAN_FIELDS.has(field)) return 'false';
  return text(value);
}

function at(object: Record<string, unknown>, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** Splits on `sep` where it is not escaped by a backslash; escapes stay for `unescape`. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charAt(i) === '\\') i++;
    else if (text.charAt(i) === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** fields.UnescapeValue: only `\\`, `\,` and `\=`; a bare `,` or `=` in a value is an error. */
function unescape(value: string, selector: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    if (ch === '\\') {
      const escaped = value.charAt(++i);
      if (escaped !== '\\' && escaped !== ',' && escaped !== '=') {
        throw badRequest(`invalid field selector "${selector}": only \\\\, \\, and \\= are escapes`);
      }
      out += escaped;
    } else if (ch === '=' || ch === ',') {
      throw badRequest(`invalid field selector "${selector}": write '${ch}' in a value as \\${ch}`);
    } else {
      out += ch;
    }
  }
  return out;
}
