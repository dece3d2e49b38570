/**
 * `${NAME}` and `${NAME:node}` in scenario strings: paths and addresses of the bench, known only
 * once it is up. Names are checked when the scenario is loaded (an unknown one is a validation
 * error); values are filled in when a step runs. `$${` writes a literal `${` (for a shell's own
 * `${VAR}`; a plain `$VAR` needs no escape).
 */

/** Variables without an argument. */
export const PLAIN_VARIABLES = {
  KUBECONFIG: "the cloud's kubeconfig (the embedded API server)",
  DATA_DIR: "the run's data directory",
  SCENARIO_DIR: 'the directory of the scenario file',
  TOKEN: 'the join token',
  APISERVER: 'the URL of the API server',
  RUN_ID: 'a short id of this run',
} as const;

/** Variables that name an edge node: `${NODE_KUBECONFIG:edge-1}`. */
export const NODE_VARIABLES = {
  NODE_KUBECONFIG: "the kubeconfig of the node's MetaServer",
  NODE_DATA_DIR: "the node's data directory",
  METASERVER: "the URL of the node's MetaServer",
  MQTT: "the URL of the node's MQTT broker (eventbus)",
} as const;

/** Variables that name a simulated device of the bench: `${DEVICE_PORT:modbus}`. */
export const DEVICE_VARIABLES = {
  DEVICE_PORT: 'the port a mapper dials for the device (its Toxiproxy link to the simulator)',
  SIM_CONTROL: "the URL of the device simulator's control API",
} as const;

export type PlainVariable = keyof typeof PLAIN_VARIABLES;
export type DeviceVariable = keyof typeof DEVICE_VARIABLES;
export type NodeVariable = keyof typeof NODE_VARIABLES;

/** Values for a running bench. */
export type VariableValues = {
  plain: Record<PlainVariable, string>;
  node: (variable: NodeVariable, node: string) => string | undefined;
  device: (variable: DeviceVariable, kind: string) => string | undefined;
};

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;

/** The problems of the `${…}` references in `text`, given the bench's node names and devices. */
export function checkReferences(
  text: string,
  nodes: readonly string[],
  devices: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(REFERENCE)) {
    if (m[0] === '$${') continue;
    const body = m[1] ?? '';
    const [name = '', arg] = splitReference(body);
    if (name in PLAIN_VARIABLES) {
      if (arg !== undefined) problems.push(`\${${body}}: ${name} takes no argument`);
    } else if (name in NODE_VARIABLES) {
      if (arg === undefined) problems.push(`\${${body}}: ${name} needs a node, e.g. \${${name}:edge-1}`);
      else if (!nodes.includes(arg))
        problems.push(`\${${body}}: no node ${JSON.stringify(arg)} in the bench (${describeNodes(nodes)})`);
    } else if (name in DEVICE_VARIABLES) {
      if (arg === undefined) problems.push(`\${${body}}: ${name} needs a device, e.g. \${${name}:modbus}`);
      else if (!devices.includes(arg))
        problems.push(`\${${body}}: the bench has no ${JSON.stringify(arg)} device (bench.devices)`);
    } else {
      problems.push(
        `unknown variable \${${body}} (known: ${[...Object.keys(PLAIN_VARIABLES), ...Object.keys(NODE_VARIABLES).map((n) => `${n}:<node>`), ...Object.keys(DEVICE_VARIABLES).map((n) => `${n}:<device>`)].join(', ')}; write $\${ for a literal \${)`,
      );
    }
  }
  return problems;
}

/**
 * `text` with every reference replaced. With `lenient`, references that are not variables stay as
 * written (for manifest files, which may contain a shell's `${VAR}`); otherwise they are an error.
 */
export function substitute(text: string, values: VariableValues, lenient = false): string {
  return text.replace(REFERENCE, (whole, body: string | undefined) => {
    if (whole === '$${') return lenient ? whole : '${';
    const [name = '', arg] = splitReference(body ?? '');
    if (name in PLAIN_VARIABLES && arg === undefined) return values.plain[name as PlainVariable];
    if (name in NODE_VARIABLES && arg !== undefined) {
      const value = values.node(name as NodeVariable, arg);
      if (value !== undefined) return value;
    }
    if (name in DEVICE_VARIABLES && arg !== undefined) {
      const value = values.device(name as DeviceVariable, arg);
      if (value !== undefined) return value;
    }
    if (lenient) return whole;
    throw new RangeError(`unknown variable ${whole}`);
  });
}

/** A JSON value with `substitute` applied to every string in it. */
export function substituteDeep(value: unknown, values: VariableValues): unknown {
  if (typeof value === 'string') return substitute(value, values);
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, values));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteDeep(v, values)]));
  }
  return value;
}

function splitReference(body: string): [string, string | undefined] {
  const colon = body.indexOf(':');
  return colon < 0 ? [body, undefined] : [body.slice(0, colon), body.slice(colon + 1)];
}

export function describeNodes(nodes: readonly string[]): string {
  if (nodes.length === 0) return 'it has none';
  return nodes.length <= 3 ? nodes.join(', ') : `${nodes[0]} … ${nodes.at(-1)}`;
}
