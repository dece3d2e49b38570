/**
 * The edge node's client certificate: bootstrap with a join token, reuse across restarts, rotation
 * before expiry (kubeedge-protocol.md §2.4; KubeEdge `edge/pkg/edgehub/certificate/certmanager.go`).
 *
 * Files in `dir` (PEM, mode 0600, each replaced atomically):
 * - `ca.crt`: the cloud CA (KubeEdge: `/etc/kubeedge/ca/rootCA.crt`)
 * - `server.crt`, `server.key`: the node's certificate and its P-256 key in SEC 1 (`EC PRIVATE
 *   KEY`), as KubeEdge writes them (`/etc/kubeedge/certs/server.{crt,key}`)
 *
 * Differences from KubeEdge, on purpose:
 * - Files are reused only when they are consistent: the key matches the certificate, the certificate
 *   chains to `ca.crt`, is valid now and names this node; and, when a token is given, `ca.crt` is the
 *   CA the token names (joining another cloud with the same folder re-bootstraps). KubeEdge checks
 *   the CN only.
 * - The certificate returned by the cloud is checked (our key, chains to the CA, our CN) before it
 *   is written.
 * - The rotation point is jittered per certificate (derived from its hash) rather than per check, so
 *   repeated checks agree on one deadline while a fleet still spreads out over 70–90 %.
 */
// @peculiar/x509 needs the Reflect metadata API while loading (see cloud/src/pki/pki.ts): import first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createHash, createPrivateKey, webcrypto } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  EdgeproofError,
  InvalidInputError,
  StorageError,
  errorMessage,
  type Clock,
  type Logger,
  isDns1123Subdomain,
} from '@edgeproof/core';
import { writeFileAtomic } from './atomic-file.ts';
import { httpsCertFetch, type CertFetch, type CertFetchRequest } from './cert-fetch.ts';

/** KubeEdge's default port for the certificate server (`cloudHub.https.port`, §2.1). */
export const DEFAULT_CERT_SERVER_PORT = 10002;

export const NODE_CERT_FILES = { ca: 'ca.crt', cert: 'server.crt', key: 'server.key' } as const;

/** Stable codes of the errors this module throws (besides StorageError/InvalidInputError). */
export const CERT_ERRORS = {
  /** The token is not `<sha256 hex>.<JWT>`: terminal. */
  badToken: 'ETOKENFORMAT',
  /** No usable certificate in the folder and no token to get one: terminal. */
  noToken: 'ETOKENMISSING',
  /** The CA served does not hash to the token's first part: terminal. */
  caMismatch: 'ECAMISMATCH',
  /** The cloud refused the token (401): terminal, get a new token. */
  tokenRejected: 'ETOKENREJECTED',
  /** The cloud refused the client certificate during rotation (401): terminal, join again. */
  certRejected: 'ECERTREJECTED',
  /** The cloud answered with another error status (5xx retriable, 4xx not). */
  certServer: 'ECERTSERVER',
  /** The cloud answered 200 with something that is not a certificate for our key and node: terminal. */
  badCertificate: 'EBADCERTIFICATE',
  /** A node of this name is already in the cluster (keadm join's check): terminal. */
  nodeExists: 'ENODEEXISTS',
} as const;

/** The node's credentials, PEM, ready for `tls.connect({ ca, cert, key })`. */
export interface NodeCredentials {
  caPem: string;
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
  /** DER of `certPem`. */
  certDer: Buffer;
}

export interface NodeCertificateOptions {
  /** Folder holding `ca.crt`, `server.crt`, `server.key`; created (0700) when missing. */
  dir: string;
  nodeName: string;
  /** cloudhub's HTTPS server, `host:port` (`[v6]:port`); the port defaults to 10002. */
  certServer: string;
  clock: Clock;
  logger?: Logger;
  /** Transport; default `httpsCertFetch`. */
  fetch?: CertFetch;
}

export interface EnsureNodeCertificateOptions extends NodeCertificateOptions {
  /** The join token, `hex(sha256(CA DER)).<JWT>`; needed only when the folder holds no usable certificate. */
  token?: string;
}

export interface EnsuredCertificate extends NodeCredentials {
  /** `reused`: the files were good, no network was used. */
  source: 'reused' | 'bootstrapped';
}

export interface RotationResult {
  rotated: boolean;
  /** When rotation is (or was) due, ms since the epoch. */
  dueAt: number;
  credentials: NodeCredentials;
}

/**
 * Returns the node's credentials from `dir` when they are usable, else bootstraps them with the
 * token as KubeEdge does (§2.4): CA from `/ca.crt` without verification, checked against the token's
 * hash; a P-256 key and CSR; the certificate from `/edge.crt` with the CA verified.
 */
export async function ensureNodeCertificate(
  options: EnsureNodeCertificateOptions,
): Promise<EnsuredCertificate> {
  const nodeName = requireNodeName(options.nodeName);
  const token = options.token === undefined || options.token === '' ? undefined : parseToken(options.token);
  const log = options.logger?.child('certificates');
  const now = options.clock.now();

  const stored = await loadStored(options.dir);
  const problem = stored.ok ? checkStored(stored.value, nodeName, now, token?.caHash) : stored.problem;
  if (problem === undefined && stored.ok) {
    log?.debug('reusing the node certificate', {
      dir: options.dir,
      notAfter: stored.value.notAfter.toISOString(),
    });
    return { ...stored.value, source: 'reused' };
  }
  if (token === undefined) {
    throw new EdgeproofError(
      CERT_ERRORS.noToken,
      `no usable node certificate in ${options.dir} (${problem ?? 'unknown'}) and no token to get one: run \`edgeproof token\` on the cloud and pass the token`,
    );
  }
  log?.info('requesting a node certificate', { reason: problem, certServer: options.certServer });

  const { host, port } = parseCertServer(options.certServer);
  const fetch = options.fetch ?? httpsCertFetch;
  const where = `${host}:${port}`;

  // 1–2. The CA, fetched without verification (the edge cannot verify anything yet); the token's
  // hash is what makes this safe.
  const caRes = await fetch({ host, port, path: '/ca.crt', headers: {} });
  if (caRes.status !== 200) throw statusError(caRes.status, caRes.body, `GET /ca.crt from ${where}`, 'token');
  const caHash = createHash('sha256').update(caRes.body).digest('hex');
  if (caHash !== token.caHash) {
    throw new EdgeproofError(
      CERT_ERRORS.caMismatch,
      `the CA served by ${where} does not match the token: wrong cloud or tampered connection (sha256 ${caHash}, the token expects ${token.caHash})`,
    );
  }
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(caRes.body);
  } catch (err) {
    throw new EdgeproofError(
      CERT_ERRORS.badCertificate,
      `the CA served by ${where} is not a DER certificate: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  const caPem = ca.toString();

  // keadm join refuses a name the cluster already has (`GET /node/{name}`: 200 found, 404 not,
  // `keadm/cmd/keadm/app/cmd/edge/join.go`), so two boards cannot silently share one identity.
  const check = await fetch({
    host,
    port,
    path: `/node/${encodeURIComponent(nodeName)}`,
    ca: caPem,
    headers: {},
  });
  if (check.status === 200) {
    throw new EdgeproofError(
      CERT_ERRORS.nodeExists,
      `a node named "${nodeName}" is already in the cluster: choose another --edgenode-name, or remove the old one with \`kubectl delete node ${nodeName}\` first`,
    );
  }
  if (check.status !== 404)
    throw statusError(check.status, check.body, `GET /node/${nodeName} from ${where}`, 'token');

  // 3–5. Key, CSR, certificate; this request verifies cloudcore against the CA, hostname included.
  const issued = await requestCertificate({
    fetch,
    request: { host, port, path: '/edge.crt', ca: caPem, headers: { Authorization: `Bearer ${token.jwt}` } },
    nodeName,
    ca,
    where,
    auth: 'token',
  });
  const credentials = await store(options.dir, { caPem, ...issued });
  log?.info('node certificate issued', { notAfter: credentials.notAfter.toISOString() });
  return { ...credentials, source: 'bootstrapped' };
}

/**
 * When the certificate should be renewed: at a point in [70 %, 90 %] of its lifetime (KubeEdge:
 * `Jitter(d, 0.2) − 0.3d`, §2.4), fixed per certificate by its hash.
 */
export function rotationDueAt(
  credentials: Pick<NodeCredentials, 'certDer' | 'notBefore' | 'notAfter'>,
): number {
  const start = credentials.notBefore.getTime();
  const lifetime = credentials.notAfter.getTime() - start;
  const u = createHash('sha256').update(credentials.certDer).digest().readUInt32BE(0) / 2 ** 32;
  return start + Math.floor(lifetime * (0.7 + 0.2 * u));
}

/**
 * Renews the node certificate when `rotationDueAt` has passed, authenticating with the current
 * client certificate (no token), and writes the new key and certificate. The CA is kept. Callers
 * must then reconnect with the new credentials (KubeEdge closes the link on rotation, §2.3).
 */
export async function rotateIfDue(options: NodeCertificateOptions): Promise<RotationResult> {
  const nodeName = requireNodeName(options.nodeName);
  const now = options.clock.now();
  const stored = await loadStored(options.dir);
  const problem = stored.ok ? checkStored(stored.value, nodeName, now, undefined) : stored.problem;
  if (problem !== undefined || !stored.ok) {
    throw new EdgeproofError(
      CERT_ERRORS.certRejected,
      `cannot rotate the node certificate in ${options.dir}: ${problem ?? 'unreadable'}; join again with a token from \`edgeproof token\``,
    );
  }
  const current = stored.value;
  const dueAt = rotationDueAt(current);
  if (now < dueAt) return { rotated: false, dueAt, credentials: current };

  const { host, port } = parseCertServer(options.certServer);
  const where = `${host}:${port}`;
  const issued = await requestCertificate({
    fetch: options.fetch ?? httpsCertFetch,
    request: {
      host,
      port,
      path: '/edge.crt',
      ca: current.caPem,
      cert: current.certPem,
      key: current.keyPem,
      headers: {},
    },
    nodeName,
    ca: new X509Certificate(current.caPem),
    where,
    auth: 'certificate',
  });
  const credentials = await store(options.dir, { caPem: current.caPem, ...issued });
  options.logger?.child('certificates').info('node certificate rotated', {
    notAfter: credentials.notAfter.toISOString(),
  });
  return { rotated: true, dueAt, credentials };
}

/** Splits a join token: `hex(sha256(CA DER))` then a three-part JWT (`pkg/security/token/token.go`). */
export function parseToken(token: string): { caHash: string; jwt: string } {
  const parts = token.trim().split('.');
  const [caHash, ...jwt] = parts;
  if (
    parts.length !== 4 ||
    caHash === undefined ||
    !/^[0-9a-fA-F]{64}$/.test(caHash) ||
    jwt.some((p) => p === '')
  ) {
    throw new EdgeproofError(
      CERT_ERRORS.badToken,
      'the token is not a KubeEdge join token (<sha256 of the CA in hex>.<JWT>, four dot-separated parts); copy it again from `edgeproof token` on the cloud',
    );
  }
  return { caHash: caHash.toLowerCase(), jwt: jwt.join('.') };
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; the port defaults to 10002. */
export function parseCertServer(
  address: string,
  defaultPort = DEFAULT_CERT_SERVER_PORT,
): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(address.trim());
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
  if (host === undefined || (m?.[1] !== undefined && isIP(m[1]) !== 6) || port < 1 || port > 65535) {
    throw new InvalidInputError(`"${address}" is not a host:port address (IPv6 as [addr]:port)`);
  }
  return { host, port };
}

// ---------------------------------------------------------------------------------------------

type Issued = Omit<NodeCredentials, 'caPem'>;

/** Makes a key and CSR, asks `/edge.crt`, and checks the answer is a certificate for that key and node. */
async function requestCertificate(args: {
  fetch: CertFetch;
  request: Omit<CertFetchRequest, 'body'>;
  nodeName: string;
  ca: X509Certificate;
  where: string;
  auth: 'token' | 'certificate';
}): Promise<Issued> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  // The subject KubeEdge's edge sends (certmanager.go); Go's pkix.Name writes C, ST, L, O, CN in this order.
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: [
        { C: ['CN'] },
        { ST: ['Zhejiang'] },
        { L: ['Hangzhou'] },
        { O: ['system:nodes'] },
        { CN: [`system:node:${args.nodeName}`] },
      ],
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    },
    webcrypto,
  );
  const res = await args.fetch({
    ...args.request,
    headers: { ...args.request.headers, NodeName: args.nodeName },
    body: new Uint8Array(csr.rawData),
  });
  if (res.status !== 200)
    throw statusError(res.status, res.body, `GET /edge.crt from ${args.where}`, args.auth);

  const bad = (why: string, cause?: unknown): EdgeproofError =>
    new EdgeproofError(CERT_ERRORS.badCertificate, `the certificate returned by ${args.where} ${why}`, {
      cause,
    });
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(res.body);
  } catch (err) {
    throw bad(`is not a DER certificate: ${errorMessage(err)}`, err);
  }
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  if (!cert.publicKey.export({ format: 'der', type: 'spki' }).equals(spki))
    throw bad('is not for the key we sent');
  if (!cert.verify(args.ca.publicKey)) throw bad('is not signed by the cloud CA');
  const cn = commonName(cert);
  if (cn !== `system:node:${args.nodeName}`)
    throw bad(`names ${cn ?? 'nobody'}, not system:node:${args.nodeName}`);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    format: 'pem',
    type: 'sec1',
  });
  return {
    certPem: cert.toString(),
    keyPem: keyPem.toString(),
    certDer: Buffer.from(cert.raw),
    notBefore: cert.validFromDate,
    notAfter: cert.validToDate,
  };
}

/** Maps a non-200 answer to an error that says what to do; the server's text is included. */
function statusError(
  status: number,
  body: Buffer,
  what: string,
  auth: 'token' | 'certificate',
): EdgeproofError {
  const reason = body.toString('utf8', 0, Math.min(body.length, 512)).trim() || '(no reason given)';
  if (status === 401 && auth === 'token') {
    return new EdgeproofError(
      CERT_ERRORS.tokenRejected,
      `${what}: the cloud refused the token (401: ${reason}); it is wrong or expired (tokens last 24 h): get a new one with \`edgeproof token\` on the cloud`,
    );
  }
  if (status === 401) {
    return new EdgeproofError(
      CERT_ERRORS.certRejected,
      `${what}: the cloud refused this node's certificate (401: ${reason}); join again with a token from \`edgeproof token\``,
    );
  }
  return new EdgeproofError(CERT_ERRORS.certServer, `${what} failed with HTTP ${status}: ${reason}`, {
    retriable: status >= 500 || status === 429 || status === 408,
  });
}

type Stored = { ok: true; value: NodeCredentials } | { ok: false; problem: string };

async function loadStored(dir: string): Promise<Stored> {
  const read = async (name: string): Promise<string | undefined> => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StorageError(`cannot read ${join(dir, name)}: ${errorMessage(err)}`, { cause: err });
    }
  };
  const [caPem, certPem, keyPem] = await Promise.all([
    read(NODE_CERT_FILES.ca),
    read(NODE_CERT_FILES.cert),
    read(NODE_CERT_FILES.key),
  ]);
  if (caPem === undefined || certPem === undefined || keyPem === undefined) {
    return { ok: false, problem: 'the certificate files are missing' };
  }
  try {
    const cert = new X509Certificate(certPem);
    return {
      ok: true,
      value: {
        caPem,
        certPem,
        keyPem,
        certDer: Buffer.from(cert.raw),
        notBefore: cert.validFromDate,
        notAfter: cert.validToDate,
      },
    };
  } catch (err) {
    return { ok: false, problem: `${NODE_CERT_FILES.cert} is not a certificate: ${errorMessage(err)}` };
  }
}

/** Why stored credentials cannot be used, or undefined when they can. */
function checkStored(
  c: NodeCredentials,
  nodeName: string,
  now: number,
  caHash: string | undefined,
): string | undefined {
  try {
    const cert = new X509Certificate(c.certPem);
    const ca = new X509Certificate(c.caPem);
    if (caHash !== undefined && createHash('sha256').update(ca.raw).digest('hex') !== caHash) {
      return `${NODE_CERT_FILES.ca} is not the CA the token names (another cloud)`;
    }
    const cn = commonName(cert);
    if (cn !== `system:node:${nodeName}`)
      return `the certificate is for ${cn ?? 'nobody'}, not system:node:${nodeName}`;
    if (!cert.checkPrivateKey(createPrivateKey(c.keyPem)))
      return `${NODE_CERT_FILES.key} does not match the certificate`;
    if (!cert.verify(ca.publicKey)) return 'the certificate is not signed by the stored CA';
    if (now >= c.notAfter.getTime()) return `the certificate expired on ${c.notAfter.toISOString()}`;
    if (now < c.notBefore.getTime())
      return `the certificate is not valid before ${c.notBefore.toISOString()}`;
    return undefined;
  } catch (err) {
    return `the stored credentials are unreadable: ${errorMessage(err)}`;
  }
}

async function store(dir: string, c: NodeCredentials): Promise<NodeCredentials> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StorageError(`cannot create ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  // Key before certificate: a crash in between leaves a key that does not match, which the next
  // start detects (checkStored) and repairs by bootstrapping again.
  await writeFileAtomic(join(dir, NODE_CERT_FILES.ca), c.caPem, 0o600);
  await writeFileAtomic(join(dir, NODE_CERT_FILES.key), c.keyPem, 0o600);
  await writeFileAtomic(join(dir, NODE_CERT_FILES.cert), c.certPem, 0o600);
  return c;
}

/** The first CN of the subject (node:crypto gives `CN=…\nO=…`). */
function commonName(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

/** A Kubernetes node name: lower-case RFC 1123 subdomain. */
function requireNodeName(name: string): string {
  if (!isDns1123Subdomain(name)) {
    throw new InvalidInputError(`"${name}" is not a valid node name (lower-case RFC 1123 subdomain)`);
  }
  return name;
}
