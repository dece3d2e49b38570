/**
 * The HTTPS transport of the certificate bootstrap (kubeedge-protocol.md §2.4): one GET to cloudhub's
 * :10002 server, optionally with a body (the CSR travels in the body of a GET, §12 gotcha 8), with
 * TLS verification either off (`/ca.crt`, before the edge knows the CA) or against the CA, hostname
 * included, optionally presenting a client certificate (rotation).
 *
 * It is an injected function type so tests and other transports can replace it; `httpsCertFetch`
 * is the real one, built on node:https because `fetch` can neither turn verification off for one
 * request nor send a body with GET.
 */
import { request } from 'node:https';
import { isIP } from 'node:net';
import { EdgeproofError, errorMessage } from '@edgeproof/core';

export interface CertFetchRequest {
  host: string;
  port: number;
  /** `/ca.crt` or `/edge.crt`. */
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** PEM CA to verify the server against, hostname included; undefined turns verification off. */
  ca?: string;
  /** PEM client certificate and key to present (certificate rotation). */
  cert?: string;
  key?: string;
}

export interface CertFetchResponse {
  status: number;
  body: Buffer;
}

/** Performs one request; rejects only when no HTTP answer was received (network, TLS). */
export type CertFetch = (req: CertFetchRequest) => Promise<CertFetchResponse>;

/** Certificates and refusals are small; a body larger than this is not from cloudhub. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

/** Codes of the errors `httpsCertFetch` rejects with. */
export const CERT_FETCH_ERRORS = {
  /** Connection refused, reset, timed out, DNS: retriable. */
  unreachable: 'ECERTSERVERUNREACHABLE',
  /** The server's certificate does not verify against the CA or does not cover the host: terminal. */
  untrusted: 'ECERTSERVERUNTRUSTED',
} as const;

/** TLS verification failures from node:tls (`err.code`); anything else is a network problem. */
const TLS_VERIFY_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);

/** The real transport: node:https, no connection reuse, 30 s timeout, 1 MiB response limit. */
export const httpsCertFetch: CertFetch = (req) =>
  new Promise<CertFetchResponse>((resolve, reject) => {
    const where = `https://${formatHost(req.host)}:${req.port}${req.path}`;
    const headers: Record<string, string> = { ...req.headers };
    // Node does not frame a GET body by default (no chunked encoding for GET), so give its length.
    if (req.body !== undefined) headers['Content-Length'] = String(req.body.byteLength);
    const r = request(
      {
        host: req.host,
        port: req.port,
        path: req.path,
        method: 'GET',
        headers,
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
        rejectUnauthorized: req.ca !== undefined,
        ...(req.ca !== undefined ? { ca: req.ca } : {}),
        ...(req.cert !== undefined && req.key !== undefined ? { cert: req.cert, key: req.key } : {}),
        // SNI carries names only (RFC 6066 §3); the hostname check still runs for IPs.
        ...(isIP(req.host) === 0 ? { servername: req.host } : {}),
        minVersion: 'TLSv1.2', // kubeedge-protocol.md §2.1
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            r.destroy(new Error(`response from ${where} is larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', (err) => fail(err));
      },
    );
    const fail = (err: Error & { code?: string }): void => {
      if (err.code !== undefined && TLS_VERIFY_CODES.has(err.code)) {
        reject(
          new EdgeproofError(
            CERT_FETCH_ERRORS.untrusted,
            `the certificate of ${where} is not trusted (${err.code}: ${err.message}); cloudcore's serving certificate must be issued by the cloud CA and cover the address "${req.host}" the edge dials`,
            { cause: err, retriable: false },
          ),
        );
        return;
      }
      reject(
        new EdgeproofError(
          CERT_FETCH_ERRORS.unreachable,
          `cannot reach cloudhub's certificate server at ${where}: ${errorMessage(err)}`,
          { cause: err, retriable: true },
        ),
      );
    };
    r.on('timeout', () => r.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    r.on('error', fail);
    r.end(req.body === undefined ? undefined : Buffer.from(req.body));
  });

function formatHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}
