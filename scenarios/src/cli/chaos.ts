/**
 * `edgeproof chaos proxy`: runs the embedded Toxiproxy-compatible server (@edgeproof/chaos) in
 * the foreground until SIGINT/SIGTERM — the Toxiproxy HTTP API on --host:--port (Toxiproxy's
 * default 127.0.0.1:8474) and the TCP proxies created through it — for machines without a
 * Toxiproxy binary. `--config FILE` creates proxies at start from a file in Toxiproxy's own
 * `-config` format (`[{"name", "listen", "upstream", "enabled"?}]`); unlike toxiproxy-server,
 * which logs a bad config and carries on, a bad file is an error (exit 2).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ToxiproxyServer, TOXIPROXY_DEFAULT_PORT } from '@edgeproof/chaos';
import {
  createLogger,
  EdgeproofError,
  errorMessage,
  InvalidInputError,
  ResourceBusyError,
} from '@edgeproof/core';
import { integerFlag, LOG_LEVEL_FLAG, parseLogLevel, waitForShutdown, type CommandSpec } from './args.ts';

const SUBCOMMANDS = ['proxy'] as const;

/**
 * `positionals` names the subcommand argument: parseFlags puts `chaos proxy`'s `proxy` into
 * `values.subcommand`.
 */
export const chaosCommand: CommandSpec & { positionals: string[] } = {
  name: 'chaos',
  usage: 'edgeproof chaos proxy [--port 8474] [--host 127.0.0.1] [--config FILE]',
  summary:
    'Run an embedded Toxiproxy-compatible proxy in the foreground until Ctrl-C: the Toxiproxy HTTP API and\n' +
    'the TCP proxies created through it, for toxiproxy clients, curl, and chaos scenarios. When it prints\n' +
    '"ready", create proxies with POST /proxies (or --config) and add toxics with POST /proxies/NAME/toxics.',
  positionals: ['subcommand'],
  flags: {
    port: {
      type: 'string',
      value: 'P',
      description: 'port of the Toxiproxy HTTP API (0 = any free port)',
      default: String(TOXIPROXY_DEFAULT_PORT),
    },
    host: {
      type: 'string',
      value: 'ADDR',
      description: 'interface of the HTTP API (the API has no authentication: keep it on loopback)',
      default: '127.0.0.1',
    },
    config: {
      type: 'string',
      value: 'FILE',
      description:
        'proxies to create at start, in toxiproxy-server -config format: [{"name","listen","upstream"}]',
    },
    'log-level': LOG_LEVEL_FLAG,
  },
};

export async function runChaos(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  const sub = values.subcommand;
  if (sub === undefined) {
    throw new InvalidInputError(
      `chaos needs a subcommand: ${SUBCOMMANDS.map((s) => `edgeproof chaos ${s}`).join(', ')}`,
    );
  }
  if (!(SUBCOMMANDS as readonly unknown[]).includes(sub)) {
    throw new InvalidInputError(
      `unknown chaos subcommand ${JSON.stringify(sub)}: the subcommands are ${SUBCOMMANDS.join(', ')}`,
    );
  }
  const port = integerFlag('port', values.port, TOXIPROXY_DEFAULT_PORT, 0, 65535);
  const host = String(values.host ?? '127.0.0.1').trim();
  if (host === '') throw new InvalidInputError('--host needs an address, e.g. 127.0.0.1');
  const config = values.config === undefined ? undefined : readConfig(String(values.config));
  const logger = createLogger('edgeproof', { level: parseLogLevel(values['log-level']) }).child('chaos');

  const server = new ToxiproxyServer({ host, port, logger });
  // As toxiproxy-server does: proxies from the config first, then the API.
  if (config) {
    try {
      const proxies = await server.populate(config.proxies);
      for (const p of proxies) {
        out(
          `edgeproof chaos: proxy ${p.name} ${p.enabled ? `listening on ${p.listen}` : '(disabled)'} → ${p.upstream}`,
        );
      }
    } catch (err) {
      await server.stop();
      if (err instanceof InvalidInputError)
        throw new InvalidInputError(`--config ${config.path}: ${err.message}`);
      throw err;
    }
  }
  try {
    await server.start();
  } catch (err) {
    await server.stop();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new ResourceBusyError(
        `port ${port} on ${host} is in use (is a Toxiproxy already running? use it with --toxiproxy, or pick another --port)`,
      );
    }
    throw new EdgeproofError('ELISTEN', `cannot listen on ${host}:${port}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  out(`edgeproof chaos: toxiproxy API on ${server.url()}`);
  out('edgeproof chaos: ready');
  await waitForShutdown(out, () => server.stop(), logger);
}

/** The --config file, read and parsed as JSON (its entries are checked by populate). */
function readConfig(file: string): { path: string; proxies: unknown } {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`--config ${path}: cannot read it: ${errorMessage(err)}`);
  }
  let proxies: unknown;
  try {
    proxies = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`--config ${path} is not JSON: ${errorMessage(err)}`);
  }
  if (!Array.isArray(proxies)) {
    throw new InvalidInputError(
      `--config ${path} must be a JSON array of proxies, [{"name": …, "listen": "127.0.0.1:PORT", "upstream": "HOST:PORT"}]`,
    );
  }
  return { path, proxies };
}
