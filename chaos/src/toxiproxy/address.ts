/**
 * `host:port` addresses as Go's net package reads and writes them (`net.SplitHostPort`,
 * `net.JoinHostPort`, `net.Listen("tcp", …)`), with error messages of the same form, since
 * Toxiproxy passes them to the client as they are.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export type HostPort = { host: string; port: number };

/** net.SplitHostPort, plus the port check net.Listen and net.Dial do. */
export function splitHostPort(address: string, op: 'listen' | 'dial'): HostPort {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) throw new Error(`${op} tcp: address ${address}: missing ']' in address`);
    host = address.slice(1, close);
    const rest = address.slice(close + 1);
    if (!rest.startsWith(':')) throw new Error(`${op} tcp: address ${address}: missing port in address`);
    portText = rest.slice(1);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) throw new Error(`${op} tcp: address ${address}: missing port in address`);
    host = address.slice(0, colon);
    if (host.includes(':')) throw new Error(`${op} tcp: address ${address}: too many colons in address`);
    portText = address.slice(colon + 1);
  }
  if (portText === '') return { host, port: 0 };
  if (!/^\d+$/.test(portText)) throw new Error(`${op} tcp: lookup tcp/${portText}: unknown port`);
  const port = Number(portText);
  if (port > 65535) throw new Error(`${op} tcp: address ${address}: invalid port`);
  return { host, port };
}

/** net.JoinHostPort: IPv6 hosts in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Where net.Listen would bind `address`: an empty host is every interface (reported `[::]`),
 * `localhost` and other names are one of their addresses, IPv4 first, as Go picks.
 */
export async function resolveListen(address: string): Promise<{ host: string | undefined; port: number }> {
  const { host, port } = splitHostPort(address, 'listen');
  if (host === '') return { host: undefined, port };
  if (isIP(host) !== 0) return { host, port };
  if (host === 'localhost') return { host: '127.0.0.1', port };
  try {
    const found = await lookup(host, { family: 0, order: 'ipv4first' });
    return { host: found.address, port };
  } catch {
    throw new Error(`listen tcp: lookup ${host}: no such host`);
  }
}

/** The message net.Listen gives for a failed bind. */
export function bindError(address: string, err: NodeJS.ErrnoException): Error {
  const reason: Record<string, string> = {
    EADDRINUSE: 'address already in use',
    EADDRNOTAVAIL: 'cannot assign requested address',
    EACCES: 'permission denied',
  };
  const text = (err.code && reason[err.code]) ?? err.message;
  return new Error(`listen tcp ${address}: bind: ${text}`);
}
