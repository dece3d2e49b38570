/** The `edgeproof` command line: dispatches to a command, turns errors into clear messages and exit codes. */
import { EdgeproofError, errorMessage } from '@edgeproof/core';
import { helpText, parseFlags, type CommandSpec } from './args.ts';
import { runUp, upCommand } from './up.ts';
import { runToken, tokenCommand } from './token.ts';
import { joinCommand, runJoin } from './join.ts';
import { runSim, simCommand } from './sim.ts';
import { mapperCommand, runMapper } from './mapper.ts';
import { chaosCommand, runChaos } from './chaos.ts';
import { runCommand, runRun } from './run.ts';
import { apiserverCommand, cloudcoreCommand, runApiserver, runCloudcore } from './components.ts';

type Command = {
  spec: CommandSpec;
  run: (values: Record<string, string | boolean | undefined>, out: (line: string) => void) => Promise<void>;
};

const COMMANDS: Record<string, Command> = {
  up: { spec: upCommand, run: runUp },
  join: { spec: joinCommand, run: runJoin },
  token: { spec: tokenCommand, run: runToken },
  sim: { spec: simCommand, run: runSim },
  mapper: { spec: mapperCommand, run: runMapper },
  chaos: { spec: chaosCommand, run: runChaos },
  run: { spec: runCommand, run: runRun },
  apiserver: { spec: apiserverCommand, run: runApiserver },
  cloudcore: { spec: cloudcoreCommand, run: runCloudcore },
};

const USAGE = `Usage: edgeproof <command> [flags]

edgeproof is a KubeEdge-compatible cloud/edge platform and test bench.

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.spec.name.padEnd(11)}${c.spec.summary.split('\n')[0]}`)
  .join('\n')}

Run 'edgeproof <command> --help' for a command's flags.`;

/** Runs the CLI; returns the process exit code. */
export async function main(
  argv: string[],
  out = (l: string) => console.log(l),
  err = (l: string) => console.error(l),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    err(`edgeproof: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  try {
    const { values, help } = parseFlags(command.spec, rest);
    if (help) {
      out(helpText(command.spec));
      return 0;
    }
    await command.run(values, out);
    return 0;
  } catch (e) {
    const code = e instanceof EdgeproofError ? e.code : 'EINTERNAL';
    err(`edgeproof ${name}: ${errorMessage(e)}`);
    if (code === 'EINVALID') err(`Run 'edgeproof ${name} --help' for usage.`);
    // 130 = 128 + SIGINT, as shells report a command stopped by Ctrl-C.
    if (code === 'EINTERRUPTED') return 130;
    return code === 'EINVALID' ? 2 : 1;
  }
}
