/**
 * Flag parsing for every `edgeproof` command, on node:util parseArgs in strict mode, so an
 * unknown flag or a missing value is an error rather than silently ignored. Errors name the flag
 * and say what is expected.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errorMessage, InvalidInputError, type Logger, type LogLevel } from '@edgeproof/core';

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
};

export function parseFlags(
  spec: CommandSpec,
  argv: string[],
): { values: Record<string, string | boolean | undefined>; help: boolean } {
  const options: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } };
  for (const [name, flag] of Object.entries(spec.flags)) options[name] = { type: flag.type };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    if (positionals.length > 0 && !values.help) {
      throw new InvalidInputError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    }
    return { values: values as Record<string, string | boolean | undefined>, help: values.help === true };
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
