/**
 * Cloudcore's credentials, kept where KubeEdge keeps them: Kubernetes Secrets in namespace
 * `kubeedge`, so that a real KubeEdge cloudcore and ours can take over from each other on the same
 * cluster (kubeedge-protocol.md §2.4). Every API call goes through @kubernetes/client-node, so the
 * same code works against the embedded API server and any real cluster.
 *
 * Names, keys and encodings checked in kubeedge/kubeedge `cloud/pkg/cloudhub/servers/httpserver/pre_server.go`
 * and `pkg/security/certs/{x509_ca,x509_certs,x509_types}.go`:
 *
 * | secret            | key                | content                                              |
 * |-------------------|--------------------|------------------------------------------------------|
 * | `casecret`        | `cadata`           | CA certificate, DER                                  |
 * |                   | `cakeydata`        | CA key, SEC 1 DER (`x509.MarshalECPrivateKey`)        |
 * | `cloudcoresecret` | `cloudcoredata`    | cloudcore serving certificate, DER                   |
 * |                   | `cloudcorekeydata` | its key, SEC 1 DER                                   |
 * | `tokensecret`     | `tokendata`        | the join token text (`<CA hash>.<JWT>`)              |
 *
 * All three are `type: Opaque`. KubeEdge's CA is ECDSA P-256, CN `KubeEdge`, valid 100 years
 * (364 × 100 days); the serving certificate is CN `KubeEdge`, O `KubeEdge`, serverAuth, with the
 * advertise addresses as IP SANs and the configured DNS names, also 100 years. The token is made at
 * start and every 12 h (`GenerateAndRefreshToken`, `TokenRefreshDuration`) with a 24 h lifetime.
 *
 * Where this differs from KubeEdge on purpose:
 * - KubeEdge never re-issues an existing `cloudcoresecret`, so changing the advertise address
 *   breaks TLS for every edge ("certificate is valid for X, not Y"). Here the serving certificate is
 *   re-issued when it does not cover every advertise address, was signed by another CA, does not
 *   match its key, or is within 30 days of expiry.
 * - KubeEdge stops refreshing the token after one failed refresh; here a failure is logged and
 *   retried a minute later.
 * Keys read from a secret may also be PKCS #8 (a CA an operator imported); the token is still keyed
 * with the exact stored bytes, which is what a KubeEdge cloudcore sharing the secret does.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import {
  EdgeproofError,
  InvalidInputError,
  StorageError,
  errorMessage,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@edgeproof/core';
import {
  createCertificateAuthority,
  issueCertificate,
  parseCertificate,
  type CertificateInfo,
} from '../pki/pki.ts';
import { apiStatusCode, kubeApiError } from './kube-errors.ts';
import { TOKEN_TTL_MS, createToken } from './token.ts';

/** KubeEdge's system namespace (`common/constants` `SystemNamespace`). */
export const KUBEEDGE_NAMESPACE = 'kubeedge';

/** Secret names, as KubeEdge's `pre_server.go` spells them. */
export const SECRET_NAMES = {
  ca: 'casecret',
  cloudcore: 'cloudcoresecret',
  token: 'tokensecret',
} as const;

/** Data keys inside those secrets. */
export const SECRET_KEYS = {
  caCert: 'cadata',
  caKey: 'cakeydata',
  cloudcoreCert: 'cloudcoredata',
  cloudcoreKey: 'cloudcorekeydata',
  token: 'tokendata',
} as const;

/** How often the token is replaced (`cloudHub.tokenRefreshDuration`, default 12 h). */
export const TOKEN_REFRESH_MS = 12 * 3_600_000;

/** KubeEdge's CA and cloudcore certificate lifetime: `time.Hour * 24 * 364 * 100`. */
const KUBEEDGE_LONG_VALIDITY_DAYS = 364 * 100;
const DAY_MS = 86_400_000;
/** A serving certificate this close to expiry is re-issued at start. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
const TOKEN_RETRY_MS = 60_000;

/** The cloud CA: what signs edge certificates and keys the join token. */
export interface CloudHubCa {
  certDer: Buffer;
  certPem: string;
  /** Exactly the bytes stored in `cakeydata` (SEC 1 DER when cloudcore made the CA): the token's HMAC key. */
  keyDer: Buffer;
  /** The same key as PEM, for signing. */
  keyPem: string;
}

/** Cloudcore's serving certificate for :10000 and :10002. */
export interface CloudHubServingCertificate {
  certDer: Buffer;
  certPem: string;
  keyPem: string;
}

/** What cloudhub's servers need from the credential store; CloudSecrets is one. */
export interface CloudHubCredentials {
  ca(): CloudHubCa;
  servingCertificate(): CloudHubServingCertificate;
}

export interface CloudSecretsOptions {
  /** Cluster access; every call goes through @kubernetes/client-node. */
  kubeConfig: KubeConfig;
  /**
   * Addresses edges use to reach cloudcore: IPs (`cloudHub.advertiseAddress`) and DNS names
   * (`cloudHub.dnsNames`). The serving certificate covers all of them; at least one is required.
   */
  advertiseAddresses: readonly string[];
  clock: Clock;
  logger: Logger;
  /** Default `kubeedge`; another namespace only for tests or side-by-side installs. */
  namespace?: string;
  /** Default 12 h. */
  tokenRefreshMs?: number;
  /** Default 24 h. */
  tokenTtlMs?: number;
  /** Lifetime of a CA made here; default 100 years as KubeEdge. */
  caValidityDays?: number;
  /** Lifetime of a serving certificate made here (capped at the CA's); default 100 years as KubeEdge. */
  servingValidityDays?: number;
}

/**
 * Loads cloudcore's CA, serving certificate and join token from their Secrets, creating what is
 * missing, and refreshes the token on the injected clock. The constructor does no I/O; `start()`
 * resolves once all three exist, `stop()` cancels the refresh timer.
 */
export class CloudSecrets implements CloudHubCredentials {
  private readonly api: CoreV1Api;
  private readonly namespace: string;
  private readonly hosts: { ips: string[]; dnsNames: string[] };
  private readonly log: Logger;
  private caState: CloudHubCa | undefined;
  private servingState: CloudHubServingCertificate | undefined;
  private tokenState: string | undefined;
  private interval: TimerHandle | undefined;
  private retry: TimerHandle | undefined;
  private refreshing: Promise<void> | undefined;
  private running = false;
  private readonly options: CloudSecretsOptions;

  constructor(options: CloudSecretsOptions) {
    this.options = options;
    for (const [name, value] of Object.entries({
      tokenRefreshMs: options.tokenRefreshMs,
      tokenTtlMs: options.tokenTtlMs,
      caValidityDays: options.caValidityDays,
      servingValidityDays: options.servingValidityDays,
    })) {
      if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
        throw new InvalidInputError(`${name} must be a positive number, got ${value}`);
      }
    }
    this.api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = options.namespace ?? KUBEEDGE_NAMESPACE;
    this.hosts = classifyAddresses(options.advertiseAddresses);
    this.log = options.logger.child('cloud-secrets');
  }

  /** Ensures the namespace and the three secrets exist and are usable, then starts the token refresh. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.ensureNamespace();
    this.caState = await this.loadOrCreateCa();
    this.servingState = await this.loadOrCreateServing(this.caState);
    await this.refreshToken();
    this.running = true;
    const every = this.options.tokenRefreshMs ?? TOKEN_REFRESH_MS;
    this.interval = this.options.clock.setInterval(() => this.refreshInBackground(), every);
  }

  /** Stops the refresh timer and waits for a refresh under way. Secrets stay in the cluster. */
  async stop(): Promise<void> {
    this.running = false;
    this.interval?.cancel();
    this.retry?.cancel();
    this.interval = this.retry = undefined;
    await this.whenIdle();
  }

  /** Resolves when no token refresh is under way (tests step a fake clock, then wait here). */
  async whenIdle(): Promise<void> {
    while (this.refreshing !== undefined) await this.refreshing;
  }

  ca(): CloudHubCa {
    if (this.caState === undefined) throw notStarted('ca');
    return this.caState;
  }

  servingCertificate(): CloudHubServingCertificate {
    if (this.servingState === undefined) throw notStarted('servingCertificate');
    return this.servingState;
  }

  /** The current join token, as stored in `tokensecret`. */
  token(): string {
    if (this.tokenState === undefined) throw notStarted('token');
    return this.tokenState;
  }

  /** Mints a new token and saves it to `tokensecret`; resolves with it. */
  async refreshToken(): Promise<string> {
    const ca = this.ca();
    const token = await createToken({
      caCertDer: ca.certDer,
      caKeyDer: ca.keyDer,
      clock: this.options.clock,
      ttlMs: this.options.tokenTtlMs ?? TOKEN_TTL_MS,
    });
    await this.saveSecret(SECRET_NAMES.token, { [SECRET_KEYS.token]: Buffer.from(token, 'utf8') });
    this.tokenState = token;
    this.log.info('join token refreshed', { secret: this.where(SECRET_NAMES.token) });
    return token;
  }

  private refreshInBackground(): void {
    if (!this.running || this.refreshing !== undefined) return;
    this.retry?.cancel();
    this.retry = undefined;
    this.refreshing = this.refreshToken()
      .then(
        () => undefined,
        (err: unknown) => {
          this.log.warn('join token refresh failed; retrying in a minute', { error: errorMessage(err) });
          if (this.running) {
            this.retry = this.options.clock.setTimeout(() => this.refreshInBackground(), TOKEN_RETRY_MS);
          }
        },
      )
      .finally(() => {
        this.refreshing = undefined;
      });
  }

  // -------------------------------------------------------------------------------------------
  // CA

  private async loadOrCreateCa(): Promise<CloudHubCa> {
    const existing = await this.readSecret(SECRET_NAMES.ca);
    if (existing !== undefined) return this.parseCa(existing);
    const created = await createCertificateAuthority({
      commonName: 'KubeEdge',
      clock: this.options.clock,
      validityDays: this.options.caValidityDays ?? KUBEEDGE_LONG_VALIDITY_DAYS,
    });
    const keyDer = createPrivateKey(created.keyPem).export({ type: 'sec1', format: 'der' });
    const data = { [SECRET_KEYS.caCert]: created.certDer, [SECRET_KEYS.caKey]: keyDer };
    // Create, never replace: another cloudcore may have made the CA a moment ago, and every edge
    // certificate hangs off whichever CA is in the secret.
    if (!(await this.createSecret(SECRET_NAMES.ca, data))) {
      const raced = await this.readSecret(SECRET_NAMES.ca);
      if (raced === undefined) {
        const what = `secret ${this.where(SECRET_NAMES.ca)} existed a moment ago and is gone now; start again`;
        throw new EdgeproofError('EKUBEAPI', what, { retriable: true });
      }
      return this.parseCa(raced);
    }
    this.log.info('created a new cloud CA', { secret: this.where(SECRET_NAMES.ca) });
    return { certDer: created.certDer, certPem: created.certPem, keyDer, keyPem: created.keyPem };
  }

  private parseCa(secret: V1Secret): CloudHubCa {
    const name = SECRET_NAMES.ca;
    const fix = `restore the secret from a backup, or delete it to have cloudcore make a new CA (every edge node must then join again)`;
    const certDer = this.secretBytes(secret, name, SECRET_KEYS.caCert, fix);
    const keyDer = this.secretBytes(secret, name, SECRET_KEYS.caKey, fix);
    const info = this.parseCert(certDer, name, SECRET_KEYS.caCert, fix);
    if (!info.isCa) {
      throw this.badData(
        name,
        SECRET_KEYS.caCert,
        'is not a CA certificate (basicConstraints CA:TRUE is missing)',
        fix,
      );
    }
    const key = this.parseKey(keyDer, name, SECRET_KEYS.caKey, fix);
    if (!publicKeyDer(key).equals(info.publicKeyDer)) {
      throw this.badData(
        name,
        SECRET_KEYS.caKey,
        `does not belong to the certificate in ${SECRET_KEYS.caCert}`,
        fix,
      );
    }
    if (info.notAfter.getTime() <= this.options.clock.now()) {
      throw this.badData(
        name,
        SECRET_KEYS.caCert,
        `holds a CA that expired on ${info.notAfter.toISOString()}`,
        fix,
      );
    }
    return {
      certDer,
      certPem: toPem(certDer, 'CERTIFICATE'),
      keyDer,
      keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Serving certificate

  private async loadOrCreateServing(ca: CloudHubCa): Promise<CloudHubServingCertificate> {
    const existing = await this.readSecret(SECRET_NAMES.cloudcore);
    let reason = 'there was none';
    if (existing !== undefined) {
      const loaded = this.parseServing(existing);
      const problem = servingProblem(loaded, ca, this.hosts, this.options.clock.now());
      if (problem === undefined) return loaded;
      reason = problem;
    }
    const issued = await issueCertificate({
      ca,
      commonName: 'KubeEdge',
      organization: 'KubeEdge',
      ipAddresses: this.hosts.ips,
      dnsNames: this.hosts.dnsNames,
      usages: ['server'],
      validityDays: this.options.servingValidityDays ?? KUBEEDGE_LONG_VALIDITY_DAYS,
      clock: this.options.clock,
    });
    const keyPem = issued.keyPem ?? '';
    const keyDer = createPrivateKey(keyPem).export({ type: 'sec1', format: 'der' });
    await this.saveSecret(SECRET_NAMES.cloudcore, {
      [SECRET_KEYS.cloudcoreCert]: issued.certDer,
      [SECRET_KEYS.cloudcoreKey]: keyDer,
    });
    this.log.info('issued a new cloudcore serving certificate', {
      secret: this.where(SECRET_NAMES.cloudcore),
      reason,
      hosts: [...this.hosts.ips, ...this.hosts.dnsNames].join(','),
    });
    return { certDer: issued.certDer, certPem: issued.certPem, keyPem };
  }

  private parseServing(secret: V1Secret): CloudHubServingCertificate {
    const name = SECRET_NAMES.cloudcore;
    const fix = 'delete the secret to have cloudcore issue a new serving certificate';
    const certDer = this.secretBytes(secret, name, SECRET_KEYS.cloudcoreCert, fix);
    const keyDer = this.secretBytes(secret, name, SECRET_KEYS.cloudcoreKey, fix);
    this.parseCert(certDer, name, SECRET_KEYS.cloudcoreCert, fix);
    const key = this.parseKey(keyDer, name, SECRET_KEYS.cloudcoreKey, fix);
    return {
      certDer,
      certPem: toPem(certDer, 'CERTIFICATE'),
      keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Secret data

  private secretBytes(secret: V1Secret, name: string, key: string, fix: string): Buffer {
    const b64 = secret.data?.[key];
    if (b64 === undefined || b64 === '') throw this.badData(name, key, 'is missing or empty', fix);
    // Buffer.from skips characters outside the alphabet; a round trip catches text that is not base64.
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.toString('base64').replace(/=+$/, '') !== b64.replace(/\s+/g, '').replace(/=+$/, '')) {
      throw this.badData(name, key, 'is not valid base64', fix);
    }
    return bytes;
  }

  private parseCert(der: Buffer, name: string, key: string, fix: string): CertificateInfo {
    try {
      return parseCertificate(der);
    } catch (err) {
      throw this.badData(name, key, `is not a DER X.509 certificate (${errorMessage(err)})`, fix, err);
    }
  }

  /** A SEC 1 DER EC key (what KubeEdge writes) or a PKCS #8 DER key, which must be ECDSA P-256. */
  private parseKey(der: Buffer, name: string, key: string, fix: string): KeyObject {
    let parsed: KeyObject | undefined;
    let firstError: unknown;
    for (const type of ['sec1', 'pkcs8'] as const) {
      try {
        parsed = createPrivateKey({ key: der, format: 'der', type });
        break;
      } catch (err) {
        firstError ??= err;
      }
    }
    if (parsed === undefined) {
      throw this.badData(
        name,
        key,
        `is not a DER private key (SEC 1 or PKCS #8): ${errorMessage(firstError)}`,
        fix,
        firstError,
      );
    }
    if (parsed.asymmetricKeyType !== 'ec' || parsed.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw this.badData(name, key, 'is not an ECDSA P-256 key, which KubeEdge uses everywhere', fix);
    }
    return parsed;
  }

  private badData(name: string, key: string, what: string, fix: string, cause?: unknown): StorageError {
    return new StorageError(`secret ${this.namespace}/${name} key ${key} ${what}; ${fix}`, { cause });
  }

  // -------------------------------------------------------------------------------------------
  // Kubernetes API

  private where(name: string): string {
    return `${this.namespace}/${name}`;
  }

  private async ensureNamespace(): Promise<void> {
    try {
      await this.api.readNamespace({ name: this.namespace });
      return;
    } catch (err) {
      if (apiStatusCode(err) !== 404) throw kubeApiError(`read namespace ${this.namespace}`, err);
    }
    try {
      await this.api.createNamespace({ body: { metadata: { name: this.namespace } } });
      this.log.info('created namespace', { namespace: this.namespace });
    } catch (err) {
      if (apiStatusCode(err) !== 409) throw kubeApiError(`create namespace ${this.namespace}`, err);
    }
  }

  private readSecret(name: string): Promise<V1Secret | undefined> {
    return readSecretIn(this.api, this.namespace, name);
  }

  /** Creates the secret; false when it already exists. */
  private async createSecret(name: string, data: Record<string, Buffer>): Promise<boolean> {
    try {
      await this.api.createNamespacedSecret({ namespace: this.namespace, body: this.secretBody(name, data) });
      return true;
    } catch (err) {
      if (apiStatusCode(err) === 409) return false;
      throw kubeApiError(`create secret ${this.where(name)}`, err);
    }
  }

  /** Create or replace, as KubeEdge's `client.SaveSecret`. */
  private async saveSecret(name: string, data: Record<string, Buffer>): Promise<void> {
    if (await this.createSecret(name, data)) return;
    try {
      // No resourceVersion: an unconditional replace, the last writer wins (both writers hold the same CA).
      await this.api.replaceNamespacedSecret({
        name,
        namespace: this.namespace,
        body: this.secretBody(name, data),
      });
    } catch (err) {
      throw kubeApiError(`replace secret ${this.where(name)}`, err);
    }
  }

  private secretBody(name: string, data: Record<string, Buffer>): V1Secret {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: this.namespace },
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.toString('base64')])),
    };
  }
}

/** Why a stored serving certificate must be re-issued, or undefined if it is fine. */
/** A secret, or undefined when it does not exist. */
async function readSecretIn(api: CoreV1Api, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await api.readNamespacedSecret({ name, namespace });
  } catch (err) {
    if (apiStatusCode(err) === 404) return undefined;
    throw kubeApiError(`read secret ${namespace}/${name}`, err);
  }
}

/**
 * The current join token from `tokensecret`, as `keadm gettoken` prints it. cloudcore refreshes
 * it every 12 h with a 24 h life, so what this returns is valid for at least 12 h.
 */
export async function readJoinToken(kubeConfig: KubeConfig, namespace = KUBEEDGE_NAMESPACE): Promise<string> {
  const secret = await readSecretIn(kubeConfig.makeApiClient(CoreV1Api), namespace, SECRET_NAMES.token);
  const data = secret?.data?.[SECRET_KEYS.token];
  if (!data) {
    throw new EdgeproofError(
      'ENOTOKEN',
      `there is no join token in secret ${namespace}/${SECRET_NAMES.token}: start cloudcore first (edgeproof up)`,
    );
  }
  return Buffer.from(data, 'base64').toString('utf8').trim();
}

function servingProblem(
  serving: CloudHubServingCertificate,
  ca: CloudHubCa,
  hosts: { ips: string[]; dnsNames: string[] },
  now: number,
): string | undefined {
  const cert = new X509Certificate(serving.certDer);
  const caCert = new X509Certificate(ca.certDer);
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return 'it was signed by another CA';
  if (!cert.checkPrivateKey(createPrivateKey(serving.keyPem))) return 'its key does not match it';
  const notAfter = Date.parse(cert.validTo);
  if (notAfter - now < RENEW_BEFORE_MS) return `it expires on ${new Date(notAfter).toISOString()}`;
  const missing = [
    ...hosts.ips.filter((ip) => cert.checkIP(ip) === undefined),
    ...hosts.dnsNames.filter((name) => cert.checkHost(name, { subject: 'never' }) === undefined),
  ];
  if (missing.length > 0) return `it does not cover ${missing.join(', ')}`;
  return undefined;
}

/** Splits advertise addresses into IPs and DNS names; rejects URLs, ports and blanks early, with the reason. */
function classifyAddresses(addresses: readonly string[]): { ips: string[]; dnsNames: string[] } {
  if (!Array.isArray(addresses) || addresses.length === 0) {
    throw new InvalidInputError(
      'advertiseAddresses must list at least one IP or DNS name that edge nodes use to reach cloudcore',
    );
  }
  const ips = new Set<string>();
  const dnsNames = new Set<string>();
  for (const raw of addresses) {
    const text = typeof raw === 'string' ? raw.trim() : '';
    const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
    if (isIP(bare) !== 0) {
      ips.add(bare);
    } else if (/^[A-Za-z0-9*]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(bare)) {
      dnsNames.add(bare.toLowerCase());
    } else {
      throw new InvalidInputError(
        `advertise address "${String(raw)}" is neither an IP nor a DNS name; give a bare address such as 10.0.0.5 or cloud.example.com, without scheme or port`,
      );
    }
  }
  return { ips: [...ips], dnsNames: [...dnsNames] };
}

/** The DER SubjectPublicKeyInfo of a private key's public half, for comparing with a certificate. */
function publicKeyDer(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

function toPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function notStarted(what: string): EdgeproofError {
  return new EdgeproofError('ENOTSTARTED', `CloudSecrets.${what}() was called before start() resolved`);
}
