/**
 * One probe attempt, as kubelet's probers make it (pkg/probe/exec, pkg/probe/http, pkg/probe/tcp):
 *
 * - exec: the command runs (no shell) with the container's environment and working folder; exit 0
 *   is success, the output (up to 10 KiB, kubelet `maxReadLength`) is the failure message.
 * - httpGet: `GET scheme://host:port/path` with `User-Agent: kube-probe/<version>`, an `Accept` of any type
 *   and the spec's headers (a `Host` header sets the host); 200–399 is success (redirects are not
 *   followed: a 3xx is a success, as kubelet reports a redirect it will not follow). HTTPS does not
 *   verify the certificate, as kubelet does not.
 * - tcpSocket: a connection that opens is success.
 *
 * Each attempt ends within `timeoutMs` on the injected clock.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { errorMessage, type Clock } from '@edgeproof/core';
import { sendSignal } from './proc.ts';

export type ProbeAction =
  | { type: 'exec'; command: string[]; env: Record<string, string>; cwd: string }
  | {
      type: 'httpGet';
      scheme: 'http' | 'https';
      host: string;
      port: number;
      path: string;
      headers: [string, string][];
    }
  | { type: 'tcpSocket'; host: string; port: number };

export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

/** kubelet probes identify as `kube-probe/<major>.<minor>` of the kubelet (KubeEdge's fork: §6). */
export const PROBE_USER_AGENT = 'kube-probe/1.32';
/** kubelet `maxReadLength`. */
const MAX_OUTPUT = 10 * 1024;

/** Runs one attempt; never rejects. */
export function runProbeAction(action: ProbeAction, timeoutMs: number, clock: Clock): Promise<ProbeOutcome> {
  return new Promise<ProbeOutcome>((resolve) => {
    let cleanup = (): void => {};
    let done = false;
    const finish = (outcome: ProbeOutcome): void => {
      if (done) return;
      done = true;
      timer.cancel();
      cleanup();
      resolve(outcome);
    };
    const timer = clock.setTimeout(
      () => finish({ ok: false, message: `${describe(action)}: timed out after ${timeoutMs / 1000}s` }),
      timeoutMs,
    );
    try {
      cleanup = start(action, finish);
    } catch (err) {
      finish({ ok: false, message: `${describe(action)}: ${errorMessage(err)}` });
    }
  });
}

function describe(action: ProbeAction): string {
  switch (action.type) {
    case 'exec':
      return `command ${JSON.stringify(action.command.join(' '))}`;
    case 'httpGet':
      return `Get "${probeUrl(action)}"`;
    case 'tcpSocket':
      return `dial tcp ${action.host}:${action.port}`;
  }
}

function probeUrl(action: Extract<ProbeAction, { type: 'httpGet' }>): string {
  const host = action.host.includes(':') ? `[${action.host}]` : action.host;
  return `${action.scheme}://${host}:${action.port}${action.path}`;
}

/** Starts the attempt; returns what stops it early (on timeout). */
function start(action: ProbeAction, finish: (outcome: ProbeOutcome) => void): () => void {
  const failed = (err: unknown): void =>
    finish({ ok: false, message: `${describe(action)}: ${errorMessage(err)}` });
  switch (action.type) {
    case 'exec': {
      const [file = '', ...args] = action.command;
      // Its own process group, so a timeout kills what the command started too.
      const child = spawn(file, args, {
        env: action.env,
        cwd: action.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      const collect = (chunk: Buffer): void => {
        if (output.length < MAX_OUTPUT) output = (output + chunk.toString('utf8')).slice(0, MAX_OUTPUT);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.on('error', failed);
      child.on('close', (code, signal) =>
        finish({
          ok: code === 0,
          message: output.trim() || `${describe(action)} exited with ${code ?? signal ?? 'unknown status'}`,
        }),
      );
      return () => {
        if (child.exitCode === null && child.pid !== undefined) sendSignal(child.pid, 'SIGKILL', true);
      };
    }
    case 'httpGet': {
      const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
      for (const [name, value] of action.headers) {
        const existing = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
        if (existing) delete headers[existing];
        headers[name] = value;
      }
      const options = { host: action.host, port: action.port, path: action.path, method: 'GET', headers };
      const onResponse = (res: IncomingMessage): void => {
        const code = res.statusCode ?? 0;
        res.resume();
        res.destroy();
        if (code >= 200 && code < 400)
          finish({ ok: true, message: `HTTP probe succeeded with statuscode: ${code}` });
        else finish({ ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      };
      const req =
        action.scheme === 'https'
          ? httpsRequest({ ...options, rejectUnauthorized: false }, onResponse)
          : httpRequest(options, onResponse);
      req.on('error', failed);
      req.end();
      return () => req.destroy();
    }
    case 'tcpSocket': {
      const socket = connect({ host: action.host, port: action.port });
      socket.on('connect', () => finish({ ok: true, message: 'tcp connection opened' }));
      socket.on('error', failed);
      return () => socket.destroy();
    }
  }
}
