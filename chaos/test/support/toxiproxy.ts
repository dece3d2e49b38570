// An embedded Toxiproxy on a free port for one test, and plain HTTP calls written the way the
// Toxiproxy README writes them with curl (a body, no content type required).
import { startEmbeddedToxiproxy, type EmbeddedToxiproxy } from '../../src/index.ts';

export type Reply = { status: number; type: string | null; text: string; json: unknown };

/**
 * How much earlier than its delay a proxy timer may fire as performance.now() sees it: libuv starts
 * a timer from the loop's cached time, in whole milliseconds (a 300 ms latency measured 299.97 ms).
 * Lower bounds on delays allow this much per timer on the path.
 */
export const TIMER_EARLY_MS = 2;

export async function startToxiproxy(): Promise<EmbeddedToxiproxy> {
  return startEmbeddedToxiproxy({ host: '127.0.0.1', port: 0 });
}

/** `curl -X METHOD -d BODY URL`. */
export async function http(base: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const res = await fetch(base + path, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type'), text, json };
}

/** The port of a proxy's `listen` address. */
export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}
