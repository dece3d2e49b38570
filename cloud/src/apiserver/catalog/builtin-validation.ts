/**
 * Validation of built-in kinds: the few rules kube-apiserver enforces that users actually meet
 * (names, containers, config keys, service ports, deployment selectors), with field paths and
 * messages worded as kube words them, so kubectl prints the same `* <field>: <message>` lines (§8).
 *
 * Also the shared vocabulary: StatusCause builders mirroring apimachinery
 * `pkg/util/validation/field/errors.go`, and the DNS name checks of `pkg/util/validation/validation.go`.
 */
import type { StatusCause } from '../status.ts';
import type { KubeObject, ResourceType } from '../types.ts';

// ---------------------------------------------------------------------------------------------
// Field errors (apimachinery pkg/util/validation/field/errors.go). `reason` is the ErrorType,
// `message` is ErrorBody(): "<Type>[: <bad value>][: <detail>]".

/**
 * A `map[string]string` bad value (template labels), which kube prints with Go's %#v:
 * `map[string]string{"app":"web"}`.
 */
export class StringMapValue {
  readonly map: Readonly<Record<string, string>>;
  constructor(map: Readonly<Record<string, string>>) {
    this.map = map;
  }
}

/** Renders a bad value as ErrorBody does: strings %q, numbers and booleans %v, null as `null`. */
export function formatBadValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof StringMapValue) {
    const body = Object.keys(value.map)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(value.map[k])}`)
      .join(', ');
    return `map[string]string{${body}}`;
  }
  // Go prints other structs with %#v; JSON is the readable equivalent for our untyped objects.
  return JSON.stringify(value);
}

const withDetail = (body: string, detail: string): string => (detail ? `${body}: ${detail}` : body);

export const fieldRequired = (field: string, detail = ''): StatusCause => ({
  reason: 'FieldValueRequired',
  field,
  message: withDetail('Required value', detail),
});

export const fieldInvalid = (field: string, value: unknown, detail: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  field,
  message: withDetail(`Invalid value: ${formatBadValue(value)}`, detail),
});

/** A value of the wrong JSON type (schema validation); prints like Invalid. */
export const fieldTypeInvalid = (field: string, value: unknown, detail: string): StatusCause => ({
  reason: 'FieldValueTypeInvalid',
  field,
  message: withDetail(`Invalid value: ${formatBadValue(value)}`, detail),
});

/** NotSupported quotes each allowed value with strconv.Quote: `supported values: "TCP", "UDP"`. */
export const fieldNotSupported = (field: string, value: unknown, valid: string[]): StatusCause => ({
  reason: 'FieldValueNotSupported',
  field,
  message: withDetail(
    `Unsupported value: ${formatBadValue(value)}`,
    valid.length > 0 ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '',
  ),
});

export const fieldDuplicate = (field: string, value: unknown): StatusCause => ({
  reason: 'FieldValueDuplicate',
  field,
  message: `Duplicate value: ${formatBadValue(value)}`,
});

export const fieldForbidden = (field: string, detail: string): StatusCause => ({
  reason: 'FieldValueForbidden',
  field,
  message: withDetail('Forbidden', detail),
});

/** field.TooLong: the value itself is not printed. */
export const fieldTooLong = (field: string, maxBytes: number): StatusCause => ({
  reason: 'FieldValueTooLong',
  field,
  message: `Too long: must have at most ${maxBytes} bytes`,
});

// ---------------------------------------------------------------------------------------------
// Names (apimachinery pkg/util/validation/validation.go).

/** regexError(): `msg (e.g. 'a',  or 'b', regex used for validation is 're')` — the double space is kube's. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let out = `${msg} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) out += ' or ';
    out += `'${e}', `;
  });
  return `${out}regex used for validation is '${fmt}')`;
}

const maxLenError = (n: number): string => `must be no more than ${n} characters`;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

const anchored = (fmt: string): RegExp => new RegExp(`^(?:${fmt})$`);
const DNS1123_LABEL_RE = anchored(DNS1123_LABEL_FMT);
const DNS1123_SUBDOMAIN_RE = anchored(DNS1123_SUBDOMAIN_FMT);
const DNS1035_LABEL_RE = anchored(DNS1035_LABEL_FMT);

/**
 * Which DNS rule a name follows: `subdomain` (IsDNS1123Subdomain, most kinds), `label`
 * (IsDNS1123Label: namespaces, container and port names), `dns1035` (IsDNS1035Label: services,
 * CRD names and versions).
 */
export type NameRule = 'subdomain' | 'label' | 'dns1035';

/** The messages kube's IsDNS1123Subdomain / IsDNS1123Label / IsDNS1035Label return; empty when valid. */
export function dnsNameErrors(value: string, rule: NameRule): string[] {
  const errs: string[] = [];
  switch (rule) {
    case 'subdomain':
      if (value.length > 253) errs.push(maxLenError(253));
      if (!DNS1123_SUBDOMAIN_RE.test(value))
        errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
      break;
    case 'label':
      if (value.length > 63) errs.push(maxLenError(63));
      if (!DNS1123_LABEL_RE.test(value))
        errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
      break;
    case 'dns1035':
      if (value.length > 63) errs.push(maxLenError(63));
      if (!DNS1035_LABEL_RE.test(value))
        errs.push(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
      break;
  }
  return errs;
}

/**
 * Validates an object name as ValidateObjectMeta does: required (kube generates it from
 * generateName before validating, so call this after that), then the kind's DNS rule, one cause
 * per message, at `field` (default `metadata.name`).
 */
export function validateObjectName(
  name: string | undefined,
  kind: NameRule,
  field = 'metadata.name',
): StatusCause[] {
  if (name === undefined || name === '') return [fieldRequired(field, 'name or generateName is required')];
  return dnsNameErrors(name, kind).map((msg) => fieldInvalid(field, name, msg));
}

// Labels and annotations (IsQualifiedName / IsValidLabelValue).
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_RE = anchored(QUALIFIED_NAME_FMT);
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_RE = anchored(LABEL_VALUE_FMT);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** IsQualifiedName: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63. */
export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  let name: string;
  const errs: string[] = [];
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix === '') errs.push('prefix part must be non-empty');
    else errs.push(...dnsNameErrors(prefix, 'subdomain').map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name === '') errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (name !== '' && !QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      `name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`,
    );
  }
  return errs;
}

function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(value))
    errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

/**
 * ValidateObjectMeta's checks that matter for every kind, CRs included: the name by `rule`,
 * label keys and values, annotation keys. Path `metadata.labels` as kube reports it (no key index).
 * A missing name is not reported here: the caller reports it (after generateName), once.
 */
export function validateObjectMeta(obj: KubeObject, rule: NameRule): StatusCause[] {
  const name = obj.metadata.name;
  const causes = name ? validateObjectName(name, rule) : [];
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    for (const msg of qualifiedNameErrors(k)) causes.push(fieldInvalid('metadata.labels', k, msg));
    if (typeof v !== 'string') continue;
    for (const msg of labelValueErrors(v)) causes.push(fieldInvalid('metadata.labels', v, msg));
  }
  for (const k of Object.keys(obj.metadata.annotations ?? {})) {
    for (const msg of qualifiedNameErrors(k.toLowerCase()))
      causes.push(fieldInvalid('metadata.annotations', k, msg));
  }
  return causes;
}

// ---------------------------------------------------------------------------------------------
// Per-kind rules.

type Json = Record<string, unknown>;
const rec = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Which name rule each built-in kind uses (pkg/apis/core/validation: ValidateNamespaceName, ValidateServiceName…). */
function nameRuleFor(type: ResourceType): NameRule {
  if (type.group === '' && type.plural === 'namespaces') return 'label';
  if (type.group === '' && type.plural === 'services') return 'dns1035';
  return 'subdomain';
}

/**
 * Validates a built-in object; returns the causes for a 422 `invalid(...)`, empty when valid.
 * CustomResourceDefinitions get only their metadata checked here: call `validateCrd` for the rest.
 */
export function validateBuiltin(type: ResourceType, obj: KubeObject): StatusCause[] {
  const causes = validateObjectMeta(obj, nameRuleFor(type));
  const key = type.group === '' ? type.plural : `${type.plural}.${type.group}`;
  switch (key) {
    case 'pods':
      causes.push(...validatePodSpec(rec(obj['spec']), 'spec', undefined));
      break;
    case 'configmaps':
      causes.push(...validateConfigMap(obj));
      break;
    case 'secrets':
      causes.push(...validateSecret(obj));
      break;
    case 'services':
      causes.push(...validateServiceSpec(rec(obj['spec'])));
      break;
    case 'deployments.apps':
    case 'daemonsets.apps':
      causes.push(
        ...validateWorkloadSpec(rec(obj['spec']), key === 'deployments.apps' ? 'deployment' : 'daemonset'),
      );
      break;
    default:
      break;
  }
  return causes;
}

const PORT_RANGE_MSG = 'must be between 1 and 65535, inclusive';
const isValidPortNum = (n: unknown): boolean =>
  typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** IsValidPortName (IANA_SVC_NAME), used for named targetPorts and container port names. */
function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length < 1 || name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push("must contain only alpha-numerics and '-'");
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/**
 * ValidatePodSpec, the parts users trip on: containers required, each with a unique DNS-label name
 * and an image; container ports; restartPolicy. `allowedRestartPolicies` narrows the policy for
 * pod templates of Deployments/DaemonSets (only "Always").
 */
function validatePodSpec(
  spec: Json,
  path: string,
  allowedRestartPolicies: string[] | undefined,
): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  const checkContainers = (list: unknown[], listPath: string): void => {
    list.forEach((raw, i) => {
      const c = rec(raw);
      const p = `${listPath}[${i}]`;
      const name = str(c['name']);
      if (name === '') {
        causes.push(fieldRequired(`${p}.name`));
      } else {
        for (const msg of dnsNameErrors(name, 'label')) causes.push(fieldInvalid(`${p}.name`, name, msg));
        if (names.has(name)) causes.push(fieldDuplicate(`${p}.name`, name));
        names.add(name);
      }
      if (str(c['image']) === '') causes.push(fieldRequired(`${p}.image`));
      arr(c['ports']).forEach((rawPort, j) => {
        const port = rec(rawPort);
        const pp = `${p}.ports[${j}]`;
        const cp = port['containerPort'];
        if (cp === undefined || cp === 0) causes.push(fieldRequired(`${pp}.containerPort`));
        else if (!isValidPortNum(cp)) causes.push(fieldInvalid(`${pp}.containerPort`, cp, PORT_RANGE_MSG));
        const protocol = port['protocol'];
        if (protocol !== undefined && !PROTOCOLS.includes(str(protocol))) {
          causes.push(fieldNotSupported(`${pp}.protocol`, protocol, PROTOCOLS));
        }
      });
    });
  };
  const containers = arr(spec['containers']);
  if (containers.length === 0) causes.push(fieldRequired(`${path}.containers`));
  checkContainers(arr(spec['initContainers']), `${path}.initContainers`);
  checkContainers(containers, `${path}.containers`);

  const policy = spec['restartPolicy'];
  const allowed = allowedRestartPolicies ?? ['Always', 'Never', 'OnFailure'];
  if (policy !== undefined && !allowed.includes(str(policy))) {
    causes.push(fieldNotSupported(`${path}.restartPolicy`, policy, allowed));
  }
  return causes;
}

// ConfigMap / Secret keys: IsConfigMapKey.
const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_KEY_RE = anchored(CONFIG_KEY_FMT);
const CONFIG_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
/** Both ConfigMaps and Secrets are capped at 1 MiB of data (MaxSecretSize, MaxConfigMapSize). */
const MAX_DATA_BYTES = 1024 * 1024;

function configKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push(maxLenError(253));
  if (!CONFIG_KEY_RE.test(key))
    errs.push(regexError(CONFIG_KEY_MSG, CONFIG_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/**
 * Where a standard-alphabet, padded base64 string first fails to decode, as Go's
 * base64.StdEncoding reports it ("illegal base64 data at input byte N"); undefined when valid.
 * kube decodes Secret `data` (and ConfigMap `binaryData`) this way. Follows Go's
 * `encoding/base64` decodeQuantum: CR/LF are skipped, a short final quantum reports its start.
 */
export function base64ErrorOffset(s: string): number | undefined {
  const isNewline = (c: string | undefined): boolean => c === '\r' || c === '\n';
  let si = 0;
  while (si < s.length) {
    const quantumStart = si;
    for (let j = 0; j < 4; j++) {
      while (isNewline(s[si])) si++;
      if (si >= s.length) {
        if (j === 0) return undefined;
        return quantumStart;
      }
      const ch = s[si] ?? '';
      si++;
      if (/[A-Za-z0-9+/]/.test(ch)) continue;
      if (ch !== '=') return si - 1;
      // Padding: only at the 3rd or 4th position; "xx=" must be followed by a second '='.
      if (j < 2) return si - 1;
      if (j === 2) {
        while (isNewline(s[si])) si++;
        if (si >= s.length) return s.length;
        if (s[si] !== '=') return si - 1;
        si++;
      }
      while (isNewline(s[si])) si++;
      return si < s.length ? si : undefined;
    }
    while (isNewline(s[si])) si++;
  }
  return undefined;
}

function validateDataKeys(map: Json, path: string, causes: StatusCause[]): void {
  for (const key of Object.keys(map)) {
    for (const msg of configKeyErrors(key)) causes.push(fieldInvalid(`${path}[${key}]`, key, msg));
  }
}

function validateBase64Values(map: Json, path: string, causes: StatusCause[]): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string') continue;
    const offset = base64ErrorOffset(value);
    if (offset !== undefined) {
      // The value is not echoed back: it is meant to be secret.
      causes.push({
        reason: 'FieldValueInvalid',
        field: `${path}[${key}]`,
        message: `illegal base64 data at input byte ${offset}`,
      });
    } else {
      bytes += Buffer.byteLength(value, 'base64');
    }
  }
  return bytes;
}

/** ValidateConfigMap: valid keys, no key in both data and binaryData, at most 1 MiB in total. */
function validateConfigMap(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const data = rec(obj['data']);
  const binary = rec(obj['binaryData']);
  validateDataKeys(data, 'data', causes);
  validateDataKeys(binary, 'binaryData', causes);
  let total = validateBase64Values(binary, 'binaryData', causes);
  for (const [key, value] of Object.entries(data)) {
    if (key in binary)
      causes.push(fieldInvalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    total += key.length + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  }
  for (const key of Object.keys(binary)) total += key.length;
  if (total > MAX_DATA_BYTES) causes.push(fieldTooLong('', MAX_DATA_BYTES));
  return causes;
}

/**
 * ValidateSecret: valid keys, base64 values, at most 1 MiB. Note kube rejects bad base64 while
 * decoding the body (a 400); reporting it as a cause on `data[key]` tells the user the same thing.
 */
function validateSecret(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const data = rec(obj['data']);
  const stringData = rec(obj['stringData']);
  validateDataKeys(data, 'data', causes);
  validateDataKeys(stringData, 'stringData', causes);
  let total = validateBase64Values(data, 'data', causes);
  for (const value of Object.values(stringData))
    total += typeof value === 'string' ? Buffer.byteLength(value) : 0;
  if (total > MAX_DATA_BYTES) causes.push(fieldTooLong('data', MAX_DATA_BYTES));
  return causes;
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

/** ValidateService, the port rules: ports required unless headless/ExternalName, numbers, names, protocols. */
function validateServiceSpec(spec: Json): StatusCause[] {
  const causes: StatusCause[] = [];
  const type = spec['type'] ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(str(type))) causes.push(fieldNotSupported('spec.type', type, SERVICE_TYPES));
  if (type === 'ExternalName' && str(spec['externalName']) === '')
    causes.push(fieldRequired('spec.externalName'));
  const ports = arr(spec['ports']);
  const headless = spec['clusterIP'] === 'None';
  if (ports.length === 0 && !headless && type !== 'ExternalName') causes.push(fieldRequired('spec.ports'));
  const names = new Set<string>();
  ports.forEach((raw, i) => {
    const p = rec(raw);
    const path = `spec.ports[${i}]`;
    const name = str(p['name']);
    if (name === '') {
      if (ports.length > 1) causes.push(fieldRequired(`${path}.name`));
    } else {
      for (const msg of dnsNameErrors(name, 'label')) causes.push(fieldInvalid(`${path}.name`, name, msg));
      if (names.has(name)) causes.push(fieldDuplicate(`${path}.name`, name));
      names.add(name);
    }
    if (!isValidPortNum(p['port'])) causes.push(fieldInvalid(`${path}.port`, p['port'] ?? 0, PORT_RANGE_MSG));
    const protocol = p['protocol'];
    if (protocol !== undefined && !PROTOCOLS.includes(str(protocol))) {
      causes.push(fieldNotSupported(`${path}.protocol`, protocol, PROTOCOLS));
    }
    const target = p['targetPort'];
    if (typeof target === 'number') {
      if (!isValidPortNum(target)) causes.push(fieldInvalid(`${path}.targetPort`, target, PORT_RANGE_MSG));
    } else if (typeof target === 'string') {
      for (const msg of portNameErrors(target)) causes.push(fieldInvalid(`${path}.targetPort`, target, msg));
    }
    const nodePort = p['nodePort'];
    if (nodePort !== undefined && nodePort !== 0 && !isValidPortNum(nodePort)) {
      causes.push(fieldInvalid(`${path}.nodePort`, nodePort, PORT_RANGE_MSG));
    }
  });
  return causes;
}

/** LabelSelectorAsSelector(...).Matches(labels) for matchLabels + matchExpressions. */
export function selectorMatches(selector: Json, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(rec(selector['matchLabels']))) {
    if (labels[k] !== v) return false;
  }
  for (const raw of arr(selector['matchExpressions'])) {
    const e = rec(raw);
    const key = str(e['key']);
    const values = arr(e['values']).map(str);
    const has = Object.hasOwn(labels, key);
    switch (e['operator']) {
      case 'In':
        if (!has || !values.includes(labels[key] ?? '')) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key] ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

const SELECTOR_OPERATORS = ['DoesNotExist', 'Exists', 'In', 'NotIn'];

/**
 * ValidateDeploymentSpec / ValidateDaemonSetSpec: a non-empty selector that matches the template's
 * labels (apps/validation: "`selector` does not match template `labels`"), a valid pod template
 * whose restartPolicy is Always, and non-negative replicas.
 */
function validateWorkloadSpec(spec: Json, what: 'deployment' | 'daemonset'): StatusCause[] {
  const causes: StatusCause[] = [];
  const selector = spec['selector'];
  const template = rec(spec['template']);
  const templateLabels = rec(rec(template['metadata'])['labels']) as Record<string, string>;
  if (selector === undefined || selector === null) {
    causes.push(fieldRequired('spec.selector'));
  } else {
    const sel = rec(selector);
    let selectorValid = true;
    arr(sel['matchExpressions']).forEach((raw, i) => {
      const op = rec(raw)['operator'];
      if (!SELECTOR_OPERATORS.includes(str(op))) {
        causes.push(
          fieldNotSupported(`spec.selector.matchExpressions[${i}].operator`, op, SELECTOR_OPERATORS),
        );
        selectorValid = false;
      }
    });
    const empty = Object.keys(rec(sel['matchLabels'])).length + arr(sel['matchExpressions']).length === 0;
    if (empty) {
      causes.push(fieldInvalid('spec.selector', sel, `empty selector is invalid for ${what}`));
    } else if (selectorValid && !selectorMatches(sel, templateLabels)) {
      causes.push(
        fieldInvalid(
          'spec.template.metadata.labels',
          new StringMapValue(templateLabels),
          '`selector` does not match template `labels`',
        ),
      );
    }
  }
  if (what === 'deployment') {
    const replicas = spec['replicas'];
    if (typeof replicas === 'number' && replicas < 0) {
      causes.push(fieldInvalid('spec.replicas', replicas, 'must be greater than or equal to 0'));
    }
  }
  causes.push(...validatePodSpec(rec(template['spec']), 'spec.template.spec', ['Always']));
  return causes;
}
