/**
 * `edgeproof sim modbus|opcua --config FILE[,FILE…]`: runs a simulated device in the foreground until
 * SIGINT/SIGTERM. FILE is an edgeproof simulator config, or a KubeEdge DeviceModel + Device (one
 * multi-document file, or the two files comma-separated); see simulators/README.md. It prints one
 * line per point and a final `ready` line with the endpoint and the control API's URL, through which
 * another process (the scenario runner) switches faults and signals.
 *
 * The protocol is a positional word (`positionals`, args.ts); `--protocol` works as well.
 */
import { resolve } from 'node:path';
import { createLogger, InvalidInputError, SystemClock } from '@edgeproof/core';
import {
  createSimulator,
  describeSignal,
  loadSimulatorConfig,
  SimulatorControlServer,
  DEFAULT_MODBUS_PORT,
  DEFAULT_OPCUA_PORT,
  type SimulatorProtocol,
} from '@edgeproof/simulators';
import { integerFlag, LOG_LEVEL_FLAG, parseLogLevel, waitForShutdown, type CommandSpec } from './args.ts';

const PROTOCOLS: readonly SimulatorProtocol[] = ['modbus', 'opcua'];

export const simCommand: CommandSpec = {
  name: 'sim',
  positionals: ['protocol'],
  usage:
    'edgeproof sim modbus|opcua --config FILE[,FILE] [--port P] [--host H] [--control-port P] [--device NAME]',
  summary:
    'Run a simulated Modbus or OPC UA device in the foreground until Ctrl-C. FILE is a simulator config\n' +
    '(protocol, points with signals) or a KubeEdge DeviceModel + Device (one file, or two comma-separated).\n' +
    'Faults and signals can be switched at run time through the control HTTP API it prints.',
  flags: {
    protocol: {
      type: 'string',
      value: 'NAME',
      description: 'modbus or opcua (the same as the word after sim)',
    },
    config: {
      type: 'string',
      value: 'FILE[,FILE]',
      description: 'simulator config, or DeviceModel + Device manifests',
    },
    port: {
      type: 'string',
      value: 'P',
      description: `port to serve on, 0 = any free port (default: the config's, else ${DEFAULT_MODBUS_PORT} for Modbus, ${DEFAULT_OPCUA_PORT} for OPC UA)`,
    },
    host: {
      type: 'string',
      value: 'H',
      description: "address to listen on (default: the config's, else 127.0.0.1)",
    },
    'control-port': {
      type: 'string',
      value: 'P',
      description: 'port of the control HTTP API on 127.0.0.1; 0 = any free port, off = no control API',
      default: '0',
    },
    device: {
      type: 'string',
      value: 'NAME',
      description: 'which Device to simulate when the manifests hold several',
    },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: 'OPC UA: where certificates are kept (default: a temporary folder, removed at exit)',
    },
    'log-level': LOG_LEVEL_FLAG,
  },
};

export async function runSim(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  const protocolText = values.protocol === undefined ? undefined : String(values.protocol);
  if (protocolText === undefined) {
    throw new InvalidInputError(
      'say which device to simulate: edgeproof sim modbus … or edgeproof sim opcua …',
    );
  }
  if (!(PROTOCOLS as readonly string[]).includes(protocolText)) {
    throw new InvalidInputError(`unknown protocol ${JSON.stringify(protocolText)}: use modbus or opcua`);
  }
  const protocol = protocolText as SimulatorProtocol;
  if (values.config === undefined || values.config === '') {
    throw new InvalidInputError(
      '--config FILE is required (a simulator config, or DeviceModel + Device manifests)',
    );
  }
  const files = String(values.config)
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '')
    .map((f) => resolve(f));
  const port = values.port === undefined ? undefined : integerFlag('port', values.port, 0, 0, 65535);
  const host = values.host === undefined ? undefined : String(values.host);
  const controlText = String(values['control-port'] ?? '0');
  const controlPort =
    controlText === 'off' ? undefined : integerFlag('control-port', controlText, 0, 0, 65535);
  const logger = createLogger('edgeproof-sim', { level: parseLogLevel(values['log-level']) });

  const config = loadSimulatorConfig(files, {
    protocol,
    ...(values.device !== undefined ? { device: String(values.device) } : {}),
  });
  const simulator = createSimulator(config, {
    clock: new SystemClock(),
    logger: logger.child(config.name ?? protocol),
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: resolve(String(values['data-dir'])) } : {}),
  });
  const started = performance.now();
  await simulator.start();
  const control =
    controlPort === undefined
      ? undefined
      : new SimulatorControlServer({ simulator, port: controlPort, logger: logger.child('control') });
  try {
    await control?.start();
  } catch (err) {
    await simulator.stop();
    throw err;
  }
  const startMs = Math.round(performance.now() - started);
  // Signal handlers go in before the ready line: whoever waits for "ready" may signal at once.
  const shutdown = waitForShutdown(
    out,
    async () => {
      await control?.stop();
      await simulator.stop();
    },
    logger,
  );
  for (const p of simulator.points()) {
    out(
      `edgeproof sim: point ${p.name}: ${p.address}${p.writable ? ' (writable)' : ''}, ${describeSignal(p.signal)}`,
    );
  }
  const details =
    simulator.protocol === 'modbus'
      ? `unit ${simulator.unitId}, ${simulator.transport}`
      : `security ${simulator.securityPolicies.join(', ')}; started in ${startMs} ms`;
  const controlText2 = control ? `control ${control.url() ?? ''}` : 'no control API';
  out(`edgeproof sim: ${protocol} ready on ${simulator.endpoint() ?? ''} (${details}; ${controlText2})`);
  await shutdown;
}
