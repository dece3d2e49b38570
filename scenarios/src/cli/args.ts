/**
 * Flag parsing for every `edgeproof` command, on node:util parseArgs in strict mode, so an
 * unknown flag or a missing value is an error rather than silently ignored. Errors name the flag
 * and say what is expected.
 */
import { isIP } from 'node:net';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseRuntimeKind, type BrokerConfig, type RuntimeKind } from '@edgeproof/edge';
import {
  errorMessage,
  InvalidInputError,
  isDns1123Subdomain,
  type Logger,
  type LogLevel,
} from '@edgeproof/core';

export type FlagSpec = {
  type: 'string' | 'boolean';
  /** Shown in --help, e.g. `DIR`. */
  value?: string;
  description: string;
  default?: string;
};

export type CommandSpec = {
  name: string;
  usage: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /**
   * Names for leading positional arguments, in order (`chaos proxy` → `values.subcommand`,
   * `sim modbus` → `values.protocol`). More positionals than names is an error, unless the last name
   * ends in `...` (`files...`): it takes the rest, joined by newlines (see `positionalList`).
   */
  positionals?: string[];
};

export function parseFlags(
  spec: CommandSpec,
  argv: string[],
): { values: Record<string, string | boolean | undefined>; help: boolean } {
  const options: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } };
  for (const [name, flag] of Object.entries(spec.flags)) options[name] = { type: flag.type };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    const names = spec.positionals ?? [];
    const last = names.at(-1);
    const variadic = last !== undefined && last.endsWith('...');
    if (!variadic && positionals.length > names.length && !values.help) {
      throw new InvalidInputError(`unexpected argument ${JSON.stringify(positionals[names.length])}`);
    }
    const named: Record<string, string> = {};
    positionals.forEach((p, i) => {
      const name = names[Math.min(i, names.length - 1)];
      if (name === undefined || (i >= names.length - 1 && variadic)) return;
      named[name] = p;
    });
    if (variadic && positionals.length >= names.length) {
      named[last.slice(0, -3)] = positionals.slice(names.length - 1).join('\n');
    }
    return {
      values: { ...(values as Record<string, string | boolean | undefined>), ...named },
      help: values.help === true,
    };
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError(simplifyParseError((err as Error).message));
  }
}

/** node:util's messages mention `parseArgs`; say it the way a CLI user reads it. */
function simplifyParseError(message: string): string {
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown flag ${unknown[1]}`;
  const missing = /Option '([^']*--[\w-]+)[^']*' argument missing/.exec(message);
  if (missing) return `flag ${missing[1]?.replace(/^-\w, /, '')} needs a value`;
  return message.replace(/\. To specify a positional argument.*$/, '');
}

export function helpText(spec: CommandSpec): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, '', 'Flags:'];
  const rows: [string, string][] = Object.entries(spec.flags).map(([name, f]) => [
    `--${name}${f.value ? ' ' + f.value : ''}`,
    f.description + (f.default !== undefined ? ` (default ${f.default})` : ''),
  ]);
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([a]) => a.length));
  for (const [a, b] of rows) lines.push(`  ${a.padEnd(width)}  ${b}`);
  return lines.join('\n');
}

/** An integer flag within [min, max], with an error naming the flag. */
export function integerFlag(
  name: string,
  raw: string | boolean | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const text = String(raw);
  if (!/^\d+$/.test(text))
    throw new InvalidInputError(`--${name} must be a whole number, not ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max)
    throw new InvalidInputError(`--${name} must be between ${min} and ${max}, not ${value}`);
  return value;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** `--log-level`, default info. */
export function parseLogLevel(raw: string | boolean | undefined): LogLevel {
  const level = String(raw ?? 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidInputError(
      `--log-level must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(level)}`,
    );
  }
  return level as LogLevel;
}

/**
 * Runs until SIGINT or SIGTERM, then `stop()`; a second signal while stopping ends the process at
 * once (exit 130/143), as a user pressing Ctrl-C twice expects.
 */
export async function waitForShutdown(
  out: (line: string) => void,
  stop: () => Promise<void>,
  logger: Logger,
): Promise<void> {
  await new Promise<void>((done) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      out(`edgeproof: ${signal} received, shutting down`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      stop().then(done, (err: unknown) => {
        logger.error('shutdown failed', { err: errorMessage(err) });
        done();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  out('edgeproof: stopped');
}

/** `--log-level`, shared by every long-running command. */
export const LOG_LEVEL_FLAG: FlagSpec = {
  type: 'string',
  value: 'LEVEL',
  description: 'debug, info, warn or error (logs go to stderr)',
  default: 'info',
};

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration flag in Go's notation as KubeEdge and Kubernetes configs write it (`40s`, `1m30s`,
 * `500ms`); a bare number is seconds. Between `minMs` and `maxMs`, with an error naming the flag.
 */
export function durationFlag(
  name: string,
  raw: string | boolean | undefined,
  fallbackMs: number,
  minMs: number,
  maxMs: number,
): number {
  if (raw === undefined) return fallbackMs;
  const text = String(raw).trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = Number(text) * 1000;
  } else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) {
    ms = 0;
    for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
      ms += Number(n) * (DURATION_UNITS_MS[unit ?? 's'] ?? 1000);
    }
  } else {
    throw new InvalidInputError(
      `--${name} must be a duration such as 40s, 1m30s or 500ms, not ${JSON.stringify(text)}`,
    );
  }
  if (ms < minMs || ms > maxMs) {
    throw new InvalidInputError(
      `--${name} must be between ${formatDuration(minMs)} and ${formatDuration(maxMs)}, not ${text}`,
    );
  }
  return Math.round(ms);
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `k=v,k2=v2` (keadm's `--labels`): label keys and values as Kubernetes allows them. */
export function labelsFlag(name: string, raw: string | boolean | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (raw === undefined || raw === '') return labels;
  for (const pair of String(raw).split(',')) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
    // apimachinery validation: optional DNS-subdomain prefix and '/', then a name of at most 63
    // characters; values at most 63 characters of the same alphabet.
    const keyOk =
      /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(key);
    const valueOk = value === '' || /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(value);
    if (!keyOk || !valueOk) {
      throw new InvalidInputError(
        `--${name}: ${JSON.stringify(pair)} is not a valid label (key=value, each a Kubernetes label name/value)`,
      );
    }
    labels[key] = value;
  }
  return labels;
}

/** An RFC 1123 subdomain in lower case: what Kubernetes allows as a node name. */
export function nodeNameFlag(name: string, raw: string): string {
  if (!isDns1123Subdomain(raw)) {
    throw new InvalidInputError(
      `--${name} ${JSON.stringify(raw)} is not a valid node name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
    );
  }
  return raw;
}

/** `--node-status-update-frequency` (edged's `nodeStatusUpdateFrequency`), for join and up. */
export const STATUS_FREQUENCY_FLAG: FlagSpec = {
  type: 'string',
  value: 'DURATION',
  description: 'how often edge nodes renew node status and lease (keep it under the cloud grace period)',
  default: '10s',
};

/** The value of `--node-status-update-frequency` in ms: 100 ms to 1 h, default edged's 10 s. */
export function statusFrequencyMs(raw: string | boolean | undefined, fallbackMs: number): number {
  return durationFlag('node-status-update-frequency', raw, fallbackMs, 100, 3_600_000);
}

/** `--runtime` for edge nodes: how pods run (edged's runtime, `edge/src/edged`). */
export const RUNTIME_FLAG: FlagSpec = {
  type: 'string',
  value: 'NAME',
  description:
    'how pods run: process (containers as host processes), hollow (no processes, for scale) or cri (containerd; not available yet)',
  default: 'process',
};

/** The value of `--runtime`; default `process`. */
export function runtimeFlag(raw: string | boolean | undefined): RuntimeKind {
  const value = raw === undefined ? 'process' : String(raw);
  try {
    return parseRuntimeKind(value);
  } catch (err) {
    throw new InvalidInputError(`--runtime: ${errorMessage(err)}`);
  }
}

/** `--mqtt-port`: the embedded broker's port (kubeedge-protocol.md §7.1: mqttMode 0 on 1884). */
export const MQTT_PORT_FLAG: FlagSpec = {
  type: 'string',
  value: 'P',
  description: 'port of the embedded MQTT broker for devices and mappers, on 127.0.0.1 (0 = any free port)',
  default: '1884',
};

/** `--mqtt-broker`: use an external broker instead (KubeEdge's mqttMode 2). */
export const MQTT_BROKER_FLAG: FlagSpec = {
  type: 'string',
  value: 'URL',
  description: 'use this MQTT broker (e.g. mqtt://127.0.0.1:1883, a mosquitto) instead of the embedded one',
};

/** The broker from `--mqtt-broker` / `--mqtt-port`; the two together are an error. */
export function brokerFlags(values: Record<string, string | boolean | undefined>): BrokerConfig {
  const url = values['mqtt-broker'];
  if (typeof url === 'string' && url !== '') {
    if (values['mqtt-port'] !== undefined)
      throw new InvalidInputError(
        '--mqtt-broker and --mqtt-port exclude each other: an external broker has its own port',
      );
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidInputError(
        `--mqtt-broker ${JSON.stringify(url)} is not a URL; use e.g. mqtt://127.0.0.1:1883`,
      );
    }
    if (!['mqtt:', 'tcp:', 'mqtts:', 'ws:', 'wss:'].includes(parsed.protocol))
      throw new InvalidInputError(
        `--mqtt-broker ${JSON.stringify(url)}: the scheme must be mqtt://, mqtts://, tcp://, ws:// or wss://`,
      );
    return { mode: 'external', url: parsed.protocol === 'tcp:' ? url.replace(/^tcp:/, 'mqtt:') : url };
  }
  return { mode: 'internal', port: integerFlag('mqtt-port', values['mqtt-port'], 1884, 0, 65535) };
}

/** `--advertise-address a,b`: IPs or DNS names, as keadm init takes them. */
export function parseAddresses(text: string): string[] {
  const addresses = text
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (addresses.length === 0) throw new InvalidInputError('--advertise-address needs at least one address');
  for (const a of addresses) {
    if (isIP(a) === 0 && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(a)) {
      throw new InvalidInputError(
        `--advertise-address: ${JSON.stringify(a)} is neither an IP address nor a DNS name`,
      );
    }
  }
  return addresses;
}

/** True for addresses that only this machine can dial. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\./.test(address);
}

/** The arguments a variadic positional (`files...`) took, in order. */
export function positionalList(value: string | boolean | undefined): string[] {
  return typeof value === 'string' && value !== '' ? value.split('\n') : [];
}
