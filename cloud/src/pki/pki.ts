/**
 * The cluster PKI: one ECDSA P-256 certificate authority that signs the API server's serving
 * certificate now and, through `issueCertificate({ csrDer })`, edge node certificates for cloudhub
 * later (kubeedge-protocol.md §2.4: keadm join sends a CSR, the cloud returns a DER certificate).
 * Every key KubeEdge makes is P-256 (kubeedge-protocol.md §2.1), so ours are too.
 *
 * Certificates and CSRs are built and read with @peculiar/x509 (RFC 5280 / RFC 2986 structures).
 * Keys and signatures come from Node's WebCrypto (`WEBCRYPTO` below), passed to every @peculiar/x509
 * call that needs one, so nothing here depends on the library's process-wide `cryptoProvider`
 * default and nothing calls `cryptoProvider.set`. Node's synchronous crypto still reads and checks
 * PEM keys, and verifies CSR signatures (readCertificateRequest is synchronous). The result is
 * checked against Node's TLS, `openssl verify` and kubectl (Go crypto/x509) in the tests.
 */
// @peculiar/x509 registers its algorithms through tsyringe, which throws while loading unless the
// Reflect metadata API exists, so this polyfill must be imported before it, here and in any other
// module that imports @peculiar/x509 without importing this one first. It adds `Reflect.getMetadata`
// and friends to the global `Reflect` (adds only, replaces nothing): the one global this module touches.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, verify, webcrypto, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { InvalidInputError, StorageError, errorMessage, type Clock } from '@edgeproof/core';
import { writeFileAtomic } from './atomic-file.ts';

/** A CA as stored on disk: PEM certificate, PEM (PKCS#8) private key, and the certificate DER. */
export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  /** Raw DER of the CA certificate; KubeEdge's `/ca.crt` route serves exactly these bytes (§2.4). */
  certDer: Buffer;
}

/** Extended key usage of a leaf: `server` = serverAuth, `client` = clientAuth (RFC 5280 §4.2.1.12). */
export type CertificateUsage = 'server' | 'client';

export interface CreateCertificateAuthorityOptions {
  commonName: string;
  clock: Clock;
  validityDays: number;
}

export interface IssueCertificateOptions {
  ca: Pick<CertificateAuthority, 'certPem' | 'keyPem'>;
  commonName: string;
  /** Subject O values; Kubernetes reads them as the user's groups (e.g. `system:nodes`). */
  organization?: string | readonly string[];
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  usages: readonly CertificateUsage[];
  validityDays: number;
  clock: Clock;
  /** The leaf's public key (SPKI PEM or DER, or a KeyObject). Without it and without `csrDer`, a P-256 key is made. */
  publicKey?: string | Uint8Array | KeyObject;
  /** A PKCS#10 CSR in DER; its signature is checked and its public key is certified. Its subject and
   * requested extensions are not copied: the caller decides the identity (check it with `readCertificateRequest`). */
  csrDer?: Uint8Array;
}

export interface IssuedCertificate {
  certPem: string;
  certDer: Buffer;
  /** PKCS#8 PEM of the key made for this certificate; undefined when the caller supplied the key. */
  keyPem: string | undefined;
}

/** The fields of a certificate that callers check. */
export interface CertificateInfo {
  commonName: string | undefined;
  organization: string[];
  issuerCommonName: string | undefined;
  /** Lower-case hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  /** Canonical text form (RFC 5952 for IPv6). */
  ipAddresses: string[];
  isCa: boolean;
  usages: CertificateUsage[];
  /** DER SubjectPublicKeyInfo, for comparing keys. */
  publicKeyDer: Buffer;
  der: Buffer;
}

/** What a verified CSR asks for. */
export interface CertificateRequestInfo {
  commonName: string | undefined;
  organization: string[];
  /** DER SubjectPublicKeyInfo of the requester's key. */
  publicKeyDer: Buffer;
}

export const PKI_FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  servingCert: 'apiserver.crt',
  servingKey: 'apiserver.key',
} as const;

/** Hosts every serving certificate covers, so a local kubeconfig (`https://127.0.0.1:…`) always verifies. */
export const DEFAULT_SERVING_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export interface ServingPkiOptions {
  /** Extra DNS names and IPs clients use to reach the API server; the defaults are always included. */
  hosts?: readonly string[];
  clock: Clock;
  /** CA lifetime when one is created; 10 years like client-go's `cert.NewSelfSignedCACert`. */
  caValidityDays?: number;
  /** Serving certificate lifetime; one year like kubeadm's leaf certificates. */
  servingValidityDays?: number;
}

export interface ServingPki {
  /** The CA with its key, for signing more certificates (cloudhub's edge certificates). */
  ca: CertificateAuthority;
  /** The CA certificate, for kubeconfig `certificate-authority-data` and clients' `ca:`. */
  caCertPem: string;
  /** Serving certificate and key, ready for `https.createServer({ cert: certPem, key: keyPem })`. */
  certPem: string;
  keyPem: string;
  /** What this call created or replaced, one sentence each, for the start-up log. */
  changes: string[];
  /** Things an operator must act on soon (an expiring CA). */
  warnings: string[];
}

const DAY_MS = 86_400_000;
/** Certificates start an hour in the past to tolerate clock skew (client-go `cert.GenerateSelfSignedCertKeyWithFixtures`). */
const BACKDATE_MS = 3_600_000;
/** A serving certificate this close to expiry is replaced at start-up. */
const RENEW_BEFORE_MS = 30 * DAY_MS;

/** Node's WebCrypto, passed explicitly to every @peculiar/x509 call that hashes, signs or verifies. */
const WEBCRYPTO = webcrypto;
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** ecdsa-with-SHA256, what KubeEdge and kubeadm sign with. */
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** serverAuth and clientAuth (RFC 5280 §4.2.1.12). */
const EKU_OID: Readonly<Record<CertificateUsage, string>> = {
  server: x509.ExtendedKeyUsage.serverAuth,
  client: x509.ExtendedKeyUsage.clientAuth,
};

/** Makes a self-signed P-256 CA certificate with basicConstraints CA:TRUE and keyCertSign. */
export async function createCertificateAuthority(
  options: CreateCertificateAuthorityOptions,
): Promise<CertificateAuthority> {
  requireName(options.commonName, 'commonName');
  const days = requireDays(options.validityDays);
  const keys = await generateP256();
  const now = options.clock.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: subjectName(options.commonName, []),
      keys,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + days * DAY_MS),
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        // RFC 5280 §4.2.1.9: basicConstraints MUST be critical in CA certificates.
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, WEBCRYPTO),
      ],
    },
    WEBCRYPTO,
  );
  const certDer = Buffer.from(cert.rawData);
  return { certPem: toPem(certDer, 'CERTIFICATE'), keyPem: await exportKeyPem(keys.privateKey), certDer };
}

/** Issues a leaf certificate signed by `ca`, for a generated key, a given public key, or a CSR. */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  requireName(options.commonName, 'commonName');
  const days = requireDays(options.validityDays);
  const organization = normalizeOrganization(options.organization);
  if (options.usages.length === 0)
    throw new InvalidInputError('usages must name at least one of "server", "client"');
  for (const u of options.usages) {
    if (u !== 'server' && u !== 'client') {
      throw new InvalidInputError(`unknown certificate usage "${String(u)}"; use "server" or "client"`);
    }
  }
  if (options.publicKey !== undefined && options.csrDer !== undefined) {
    throw new InvalidInputError('give either publicKey or csrDer, not both');
  }
  const dnsNames = (options.dnsNames ?? []).map((d) => normalizeDnsName(d));
  const ipAddresses = (options.ipAddresses ?? []).map((ip) => {
    const canonical = canonicalIp(ip);
    if (canonical === undefined) throw new InvalidInputError(`"${ip}" is not an IP address`);
    return canonical;
  });

  const ca = await loadCa(options.ca, InvalidInputError);

  let spki: Buffer;
  let keyPem: string | undefined;
  if (options.csrDer !== undefined) {
    spki = readCertificateRequest(options.csrDer).publicKeyDer;
  } else if (options.publicKey !== undefined) {
    spki = publicKeyToSpki(options.publicKey);
  } else {
    const keys = await generateP256();
    spki = Buffer.from(await WEBCRYPTO.subtle.exportKey('spki', keys.publicKey));
    keyPem = await exportKeyPem(keys.privateKey);
  }

  const now = options.clock.now();
  // A leaf outliving its CA could never verify; cap it so "expires soon" checks tell the truth.
  const notAfter = Math.min(now + days * DAY_MS, ca.info.notAfter.getTime());
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    // ECDSA keys sign; keyEncipherment applies to RSA key transport only (RFC 5480 §3).
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(
      [...new Set(options.usages)].map((u) => EKU_OID[u]),
      false,
    ),
    await x509.SubjectKeyIdentifierExtension.create(spki, false, WEBCRYPTO),
    ca.authorityKeyId,
  ];
  if (dnsNames.length > 0 || ipAddresses.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        [
          ...dnsNames.map((value) => ({ type: x509.DNS, value }) as const),
          ...ipAddresses.map((value) => ({ type: x509.IP, value }) as const),
        ],
        false,
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create(
    {
      issuer: ca.cert.subjectName,
      subject: subjectName(options.commonName, organization),
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(notAfter),
      publicKey: spki,
      signingKey: ca.signingKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions,
    },
    WEBCRYPTO,
  );
  const certDer = Buffer.from(cert.rawData);
  return { certPem: toPem(certDer, 'CERTIFICATE'), certDer, keyPem };
}

/** Parses and verifies a PKCS#10 CSR (DER). A bad encoding or signature is an InvalidInputError. */
export function readCertificateRequest(csrDer: Uint8Array): CertificateRequestInfo {
  let csr: CertificateRequest;
  let signedBytes: Uint8Array;
  let publicKeyDer: Buffer;
  let subject: x509.Name;
  let algorithm: SignatureAlgorithm;
  try {
    csr = new CertificateRequest(new Uint8Array(csrDer)); // a copy: the parser keeps views into it
    signedBytes = csr.signedBytes();
    publicKeyDer = Buffer.from(csr.publicKey.rawData);
    subject = csr.subjectName;
    // Typed with DOM's `Algorithm`, which this project's lib (es2023, no DOM) does not declare.
    algorithm = csr.signatureAlgorithm as unknown as SignatureAlgorithm;
  } catch (err) {
    throw new InvalidInputError(
      `the certificate request is not a valid DER PKCS#10 CSR: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  const hash = nodeSignatureHash(algorithm);
  if (hash === undefined) {
    throw new InvalidInputError(
      `the certificate request is signed with unsupported algorithm ${algorithm.name}; use ECDSA P-256 with SHA-256`,
    );
  }
  const key = importAllowedPublicKey(publicKeyDer, 'the certificate request');
  // @peculiar/x509's own csr.verify() is async (WebCrypto) and this function is synchronous, so the
  // signature over the exact CertificationRequestInfo bytes is checked with node:crypto instead.
  let ok: boolean;
  try {
    ok = verify(hash, signedBytes, key, new Uint8Array(csr.signature));
  } catch (err) {
    throw new InvalidInputError(`the certificate request signature cannot be checked: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (!ok) {
    throw new InvalidInputError(
      'the certificate request signature does not verify: it was altered or not signed by the key it carries',
    );
  }
  return { commonName: subject.getField('CN')[0], organization: subject.getField('O'), publicKeyDer };
}

/** Reads the fields of a certificate (PEM or DER). A bad certificate is an InvalidInputError. */
export function parseCertificate(input: string | Uint8Array): CertificateInfo {
  return parseCertificateDetails(input).info;
}

/**
 * Loads the API server's PKI from `dir`, creating what is missing: the CA (`ca.crt`, `ca.key`) and
 * the serving certificate (`apiserver.crt`, `apiserver.key`). The CA is never replaced. The serving
 * certificate is re-issued when it is missing, expires within 30 days, is not yet valid, was signed
 * by another CA, does not match its key, or does not cover every host. Keys are written 0600.
 */
export async function loadOrCreateServingPki(dir: string, options: ServingPkiOptions): Promise<ServingPki> {
  const wanted = classifyHosts([...DEFAULT_SERVING_HOSTS, ...(options.hosts ?? [])]);
  const now = options.clock.now();
  const changes: string[] = [];
  const warnings: string[] = [];
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StorageError(`cannot create the PKI folder ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  const paths = {
    caCert: join(dir, PKI_FILES.caCert),
    caKey: join(dir, PKI_FILES.caKey),
    servingCert: join(dir, PKI_FILES.servingCert),
    servingKey: join(dir, PKI_FILES.servingKey),
  };
  const startOver = `delete the folder ${dir} to start with a new CA (kubeconfigs and edge node certificates made from the old CA stop working)`;

  // --- CA: created once, then only ever read. ---
  const caCertPem = await readOptional(paths.caCert);
  const caKeyPem = await readOptional(paths.caKey);
  let ca: CertificateAuthority;
  if (caCertPem === undefined && caKeyPem === undefined) {
    ca = await createCertificateAuthority({
      commonName: 'edgeproof-ca',
      clock: options.clock,
      validityDays: options.caValidityDays ?? 3650,
    });
    writeFile(paths.caKey, ca.keyPem, 0o600);
    writeFile(paths.caCert, ca.certPem, 0o644);
    changes.push(`created a new CA in ${paths.caCert}`);
  } else if (caCertPem === undefined || caKeyPem === undefined) {
    const [present, missing] =
      caCertPem === undefined ? [paths.caKey, paths.caCert] : [paths.caCert, paths.caKey];
    throw new StorageError(
      `${present} exists but ${missing} does not; restore ${missing} from a backup or ${startOver}`,
    );
  } else {
    ca = { certPem: caCertPem, keyPem: caKeyPem, certDer: Buffer.alloc(0) };
  }
  let loadedCa: LoadedCa;
  try {
    loadedCa = await loadCa(ca, StorageError, paths);
  } catch (err) {
    throw new StorageError(`${errorMessage(err)}; restore the file from a backup or ${startOver}`, {
      cause: err,
    });
  }
  ca.certDer = loadedCa.info.der;
  const caNotAfter = loadedCa.info.notAfter.getTime();
  if (caNotAfter <= now) {
    throw new StorageError(
      `the CA in ${paths.caCert} expired on ${loadedCa.info.notAfter.toISOString()}; ${startOver}`,
    );
  }
  if (caNotAfter - now < RENEW_BEFORE_MS) {
    warnings.push(
      `the CA in ${paths.caCert} expires on ${loadedCa.info.notAfter.toISOString()}; plan a CA rotation (${startOver})`,
    );
  }

  // --- Serving certificate: derived from the CA, so re-issued freely. ---
  let cert = await readOptional(paths.servingCert);
  let key = await readOptional(paths.servingKey);
  const reason = await servingCertProblem(cert, key, loadedCa, wanted, now, paths);
  if (reason !== undefined || cert === undefined || key === undefined) {
    const issued = await issueCertificate({
      ca,
      commonName: 'edgeproof-apiserver',
      dnsNames: wanted.dnsNames,
      ipAddresses: wanted.ipAddresses,
      usages: ['server'],
      validityDays: options.servingValidityDays ?? 365,
      clock: options.clock,
    });
    key = issued.keyPem ?? '';
    cert = issued.certPem;
    writeFile(paths.servingKey, key, 0o600);
    writeFile(paths.servingCert, cert, 0o644);
    changes.push(`issued a new serving certificate in ${paths.servingCert}: ${reason ?? 'it was missing'}`);
  }
  return { ca, caCertPem: ca.certPem, certPem: cert, keyPem: key, changes, warnings };
}

// ---------------------------------------------------------------------------------------------
// CA and serving-certificate checks

interface LoadedCa {
  cert: x509.X509Certificate;
  info: CertificateInfo;
  signingKey: webcrypto.CryptoKey;
  /** Points leaves at the CA's own subjectKeyIdentifier, so chains build by key id (RFC 5280 §4.2.1.1). */
  authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}

type ErrorClass = typeof InvalidInputError | typeof StorageError;

async function loadCa(
  ca: Pick<CertificateAuthority, 'certPem' | 'keyPem'>,
  Err: ErrorClass,
  paths?: { caCert: string; caKey: string },
): Promise<LoadedCa> {
  const certName = paths?.caCert ?? 'the CA certificate';
  const keyName = paths?.caKey ?? 'the CA key';
  let details: ReturnType<typeof parseCertificateDetails>;
  try {
    details = parseCertificateDetails(ca.certPem);
  } catch (err) {
    throw new Err(`${certName} is not a readable PEM certificate (${errorMessage(err)})`, { cause: err });
  }
  const { cert, info } = details;
  if (!info.isCa) throw new Err(`${certName} is not a CA certificate (basicConstraints CA:TRUE is missing)`);
  let key: KeyObject;
  try {
    key = createPrivateKey(ca.keyPem);
  } catch (err) {
    throw new Err(`${keyName} is not a readable PEM private key (${errorMessage(err)})`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Err(
      `${keyName} is not an ECDSA P-256 key; the CA signs with ECDSA P-256 (kubeedge-protocol.md §2.1)`,
    );
  }
  const keySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!keySpki.equals(info.publicKeyDer)) throw new Err(`${keyName} does not belong to ${certName}`);
  const caKeyId = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return {
    cert,
    info,
    signingKey: key.toCryptoKey(EC_P256, false, ['sign']),
    authorityKeyId:
      caKeyId !== undefined
        ? new x509.AuthorityKeyIdentifierExtension(caKeyId)
        : await x509.AuthorityKeyIdentifierExtension.create(cert.publicKey, false, WEBCRYPTO),
  };
}

/** Why the serving certificate must be re-issued, or undefined if it is fine. Corrupt files throw. */
async function servingCertProblem(
  certPem: string | undefined,
  keyPem: string | undefined,
  ca: LoadedCa,
  wanted: { dnsNames: string[]; ipAddresses: string[] },
  now: number,
  paths: { servingCert: string; servingKey: string },
): Promise<string | undefined> {
  if (certPem === undefined) return 'there was none';
  if (keyPem === undefined) return `${paths.servingKey} was missing`;
  const fix = `delete it and restart to get a new one`;
  let details: ReturnType<typeof parseCertificateDetails>;
  try {
    details = parseCertificateDetails(certPem);
  } catch (err) {
    throw new StorageError(
      `${paths.servingCert} is not a readable PEM certificate (${errorMessage(err)}); ${fix}`,
      { cause: err },
    );
  }
  const { cert, info } = details;
  let keySpki: Buffer;
  try {
    keySpki = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  } catch (err) {
    throw new StorageError(
      `${paths.servingKey} is not a readable PEM private key (${errorMessage(err)}); ${fix}`,
      { cause: err },
    );
  }
  const signedByCa = await cert
    .verify({ publicKey: ca.cert.publicKey, signatureOnly: true }, WEBCRYPTO)
    .catch(() => false);
  if (!signedByCa) return 'it was signed by another CA';
  if (!keySpki.equals(info.publicKeyDer)) return `${paths.servingKey} does not match it`;
  if (info.notBefore.getTime() > now) return `it is not valid until ${info.notBefore.toISOString()}`;
  if (info.notAfter.getTime() - now < RENEW_BEFORE_MS) return `it expires on ${info.notAfter.toISOString()}`;
  if (!info.usages.includes('server')) return 'it lacks the serverAuth usage';
  const missing = [
    ...wanted.dnsNames.filter((d) => !info.dnsNames.includes(d)),
    ...wanted.ipAddresses.filter((ip) => !info.ipAddresses.includes(ip)),
  ];
  if (missing.length > 0) return `it does not cover ${missing.join(', ')}`;
  return undefined;
}

function classifyHosts(hosts: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames = new Set<string>();
  const ipAddresses = new Set<string>();
  for (const host of hosts) {
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    const ip = canonicalIp(bare);
    if (ip !== undefined) ipAddresses.add(ip);
    else dnsNames.add(normalizeDnsName(host));
  }
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

// ---------------------------------------------------------------------------------------------
// Reading certificates and CSRs

/** A CSR that also hands out the exact bytes its signature covers. */
class CertificateRequest extends x509.Pkcs10CertificateRequest {
  /** The DER CertificationRequestInfo as it appeared in the input (the parser keeps it, RFC 2986 §4.2). */
  signedBytes(): Uint8Array {
    const raw = this.asn.certificationRequestInfoRaw;
    if (raw === undefined) throw new Error('the CertificationRequestInfo bytes are missing');
    return new Uint8Array(raw);
  }
}

/** A signature algorithm as @peculiar/x509 reports it, e.g. `{ name: 'ECDSA', hash: { name: 'SHA-256' } }`. */
interface SignatureAlgorithm {
  name: string;
  hash?: string | { name: string };
}

/**
 * The node:crypto digest for a CSR signature algorithm (null for Ed25519, which has its own), or
 * undefined if unsupported: ECDSA and RSA PKCS#1 v1.5 with SHA-2, and Ed25519 (RFC 5758 §3.2,
 * RFC 4055, RFC 8410), the ones Go's x509.CreateCertificateRequest makes for the keys we accept.
 */
function nodeSignatureHash(algorithm: SignatureAlgorithm): string | null | undefined {
  if (algorithm.name === 'Ed25519') return null;
  if (algorithm.name !== 'ECDSA' && algorithm.name !== 'RSASSA-PKCS1-v1_5') return undefined;
  const hash = typeof algorithm.hash === 'string' ? algorithm.hash : algorithm.hash?.name;
  return hash === undefined ? undefined : NODE_HASH[hash];
}

const NODE_HASH: Readonly<Record<string, string>> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

function parseCertificateDetails(input: string | Uint8Array): {
  cert: x509.X509Certificate;
  info: CertificateInfo;
} {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certificateBytes(input));
  } catch (err) {
    throw new InvalidInputError(`not a PEM or DER X.509 certificate: ${errorMessage(err)}`, { cause: err });
  }
  try {
    const names = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
    // Array.from, not .map: `usages` is an Array subclass, and map would make another one.
    const usages = Array.from(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [], String);
    const info: CertificateInfo = {
      commonName: cert.subjectName.getField('CN')[0],
      organization: cert.subjectName.getField('O'),
      issuerCommonName: cert.issuerName.getField('CN')[0],
      serialNumber: cert.serialNumber.toLowerCase(),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      dnsNames: names.filter((n) => n.type === x509.DNS).map((n) => n.value),
      // The library prints IPv6 in the RFC 5952 form, like canonicalIp.
      ipAddresses: names.filter((n) => n.type === x509.IP).map((n) => n.value),
      isCa: cert.getExtension(x509.BasicConstraintsExtension)?.ca ?? false,
      usages: usages.flatMap((oid): CertificateUsage[] =>
        oid === EKU_OID.server ? ['server'] : oid === EKU_OID.client ? ['client'] : [],
      ),
      publicKeyDer: Buffer.from(cert.publicKey.rawData),
      der: Buffer.from(cert.rawData),
    };
    return { cert, info };
  } catch (err) {
    throw new InvalidInputError(`cannot read the certificate's fields: ${errorMessage(err)}`, { cause: err });
  }
}

/** DER bytes as given, or the first CERTIFICATE block of a PEM text (other blocks, like keys, are skipped). */
function certificateBytes(input: string | Uint8Array): Uint8Array {
  if (typeof input !== 'string') return new Uint8Array(input); // a copy: the parser keeps views into it
  const block = x509.PemConverter.decodeWithHeaders(input).find((b) => b.type === 'CERTIFICATE');
  if (block === undefined) throw new Error('no -----BEGIN CERTIFICATE----- block');
  return new Uint8Array(block.rawData);
}

// ---------------------------------------------------------------------------------------------
// Keys, names and small validations

function generateP256(): Promise<webcrypto.CryptoKeyPair> {
  return WEBCRYPTO.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return toPem(await WEBCRYPTO.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  return `${x509.PemConverter.encode(der, label)}\n`;
}

/** An X.501 name with the O values then CN (the order Go's pkix.Name uses), each a UTF8String. */
function subjectName(commonName: string, organization: readonly string[]): x509.Name {
  // The object form keeps values verbatim; the string form would read `#…`, quotes and `\` escapes.
  return new x509.Name([
    ...organization.map((o) => ({ O: [{ utf8String: o }] })),
    { CN: [{ utf8String: commonName }] },
  ]);
}

function publicKeyToSpki(input: string | Uint8Array | KeyObject): Buffer {
  let spki: Buffer;
  try {
    const key =
      typeof input === 'string'
        ? createPublicKey(input)
        : input instanceof Uint8Array
          ? createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' })
          : input.type === 'public'
            ? input
            : createPublicKey(input);
    spki = key.export({ type: 'spki', format: 'der' });
  } catch (err) {
    throw new InvalidInputError(`publicKey is not a PEM or DER public key: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  importAllowedPublicKey(spki, 'publicKey');
  return spki;
}

/** Accepts the key types Go's TLS stack and KubeEdge work with: EC P-256/P-384, RSA ≥ 2048, Ed25519. */
function importAllowedPublicKey(spki: Buffer, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (err) {
    throw new InvalidInputError(`${what} carries a public key Node cannot read: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const d = key.asymmetricKeyDetails;
  const ok =
    (key.asymmetricKeyType === 'ec' && (d?.namedCurve === 'prime256v1' || d?.namedCurve === 'secp384r1')) ||
    (key.asymmetricKeyType === 'rsa' && (d?.modulusLength ?? 0) >= 2048) ||
    key.asymmetricKeyType === 'ed25519';
  if (!ok) {
    const desc = `${key.asymmetricKeyType ?? 'unknown'}${d?.namedCurve ? ` ${d.namedCurve}` : ''}${d?.modulusLength ? ` ${d.modulusLength}-bit` : ''}`;
    throw new InvalidInputError(
      `${what} has a ${desc} key; use ECDSA P-256 (as KubeEdge does), P-384, RSA ≥ 2048 or Ed25519`,
    );
  }
  return key;
}

function requireName(value: string, field: string): void {
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidInputError(`${field} must be a non-empty string`);
}

function requireDays(days: number): number {
  if (!Number.isFinite(days) || days <= 0)
    throw new InvalidInputError(`validityDays must be a positive number, got ${days}`);
  return days;
}

function normalizeOrganization(org: string | readonly string[] | undefined): string[] {
  const list = org === undefined ? [] : typeof org === 'string' ? [org] : [...org];
  for (const o of list) requireName(o, 'organization');
  return list;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function normalizeDnsName(name: string): string {
  const lower = name.toLowerCase().replace(/\.$/, '');
  const labels = lower.split('.');
  const ok =
    lower.length > 0 &&
    lower.length <= 253 &&
    labels.every(
      (l, i) => (i === 0 && l === '*' && labels.length > 2) || (l.length <= 63 && DNS_LABEL.test(l)),
    );
  if (!ok) {
    throw new InvalidInputError(
      `host "${name}" is neither an IP address nor a DNS name; use names like edge.example.com or addresses like 10.0.0.5`,
    );
  }
  return lower;
}

/**
 * The canonical text of an IP address, or undefined if `text` is not one. Node's isIP accepts IPv4
 * only in dotted decimal without leading zeros, already canonical; IPv6 goes through the WHATWG URL
 * host serializer, which writes the RFC 5952 form (lower case, longest zero run as `::`). Zone ids
 * (`fe80::1%eth0`) have no place in a certificate.
 */
function canonicalIp(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6 || text.includes('%')) return undefined;
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

// ---------------------------------------------------------------------------------------------
// Files

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageError(`cannot read ${path}: ${errorMessage(err)}; check its owner and permissions`, {
      cause: err,
    });
  }
}

/** writeFileAtomic (a crash leaves the old file or the new one), as a StorageError naming the file. */
function writeFile(path: string, data: string, mode: number): void {
  try {
    writeFileAtomic(path, data, mode);
  } catch (err) {
    throw new StorageError(`cannot write ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
