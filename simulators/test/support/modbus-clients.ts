// Independent Modbus clients for the socket tests: mbpoll and pymodbus from Debian, run as real
// processes against the simulator's real port, so the tests check the wire, not our own parser.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PYMODBUS_CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'pymodbus_client.py');

export type ProcessResult = { code: number; stdout: string; stderr: string; ms: number };

function run(file: string, args: string[], timeoutMs = 20_000): Promise<ProcessResult> {
  const started = performance.now();
  return new Promise((done) => {
    execFile(file, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/**
 * Runs `mbpoll -m tcp … -1 -p PORT 127.0.0.1 [values]` once (mbpoll's -r is 1-based: address + 1).
 * Returns the values it printed (`[ref]: value` lines) besides the process result.
 */
export async function mbpoll(
  port: number,
  args: string[],
  values: string[] = [],
): Promise<ProcessResult & { values: Map<number, string> }> {
  const result = await run('/usr/bin/mbpoll', [
    '-m',
    'tcp',
    '-1',
    ...args,
    '-p',
    String(port),
    '127.0.0.1',
    ...values,
  ]);
  const read = new Map<number, string>();
  for (const m of result.stdout.matchAll(/^\[(\d+)\]:\s+(.+)$/gm))
    read.set(Number(m[1]), (m[2] ?? '').trim());
  return { ...result, values: read };
}

export type PymodbusOp = { fn: string; args: unknown[] };
export type PymodbusResult = {
  ok?: boolean;
  registers?: number[];
  bits?: boolean[];
  exception?: number;
  error?: string;
  ms: number;
};

/** Runs operations in order over one pymodbus connection (python3-pymodbus 3.0, /usr/bin/python3). */
export async function pymodbus(
  port: number,
  ops: PymodbusOp[],
  options: { rtu?: boolean; unit?: number; timeoutS?: number } = {},
): Promise<{ connected: boolean; results: PymodbusResult[] }> {
  const spec = {
    port,
    ops,
    rtu: options.rtu ?? false,
    unit: options.unit ?? 1,
    timeout: options.timeoutS ?? 1,
  };
  // /usr/bin/python3 is Debian's, with pymodbus; `python3` on PATH may be another interpreter.
  const result = await run('/usr/bin/python3', [PYMODBUS_CLIENT, JSON.stringify(spec)]);
  if (result.code !== 0) throw new Error(`pymodbus client failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as {
    connected: boolean;
    results: PymodbusResult[];
  };
}
