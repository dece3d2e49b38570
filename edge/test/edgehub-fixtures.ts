/**
 * Test PKI and a fake cloudhub certificate server for the edgehub tests. The edge may not import the
 * cloud workspace (ARCHITECTURE.md §3), so this is a small stand-in that follows
 * cloud/src/cloudhub/cert-server.ts and kubeedge-protocol.md §2.4: `/ca.crt` serves the CA DER;
 * `/edge.crt` takes a DER CSR in a GET body, authenticates with a verified client certificate when
 * one is presented, else `Authorization: Bearer <JWT>`, refuses with 401, and answers with the
 * certificate DER for CN `system:node:<NodeName>`, O `system:nodes`.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

const ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestCa {
  certPem: string;
  certDer: Buffer;
  keys: webcrypto.CryptoKeyPair;
  cert: x509.X509Certificate;
}

export interface TestLeaf {
  certPem: string;
  keyPem: string;
  certDer: Buffer;
}

export async function createTestCa(commonName = 'test-ca'): Promise<TestCa> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: `CN=${commonName}`,
      keys,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 3650 * DAY),
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
      ],
    },
    webcrypto,
  );
  const certDer = Buffer.from(cert.rawData);
  return { certPem: cert.toString('pem'), certDer, keys, cert };
}

export interface IssueOptions {
  commonName: string;
  organization?: string;
  usage: 'server' | 'client';
  hosts?: string[];
  /** SPKI DER of the subject key; a key is made (and returned) when absent. */
  publicKeyDer?: Uint8Array;
  notBefore?: Date;
  notAfter?: Date;
}

export async function issueTestCert(ca: TestCa, o: IssueOptions): Promise<TestLeaf> {
  let keyPem = '';
  let publicKey: Uint8Array;
  if (o.publicKeyDer === undefined) {
    const keys = await generateKeys();
    publicKey = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
  } else {
    publicKey = o.publicKeyDer;
  }
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(
      [o.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
      false,
    ),
  ];
  if (o.hosts !== undefined) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        o.hosts.map((h) =>
          /^[\d.]+$|:/.test(h) ? { type: x509.IP, value: h } : { type: x509.DNS, value: h },
        ),
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create(
    {
      issuer: ca.cert.subject,
      subject: `CN=${o.commonName}${o.organization === undefined ? '' : `, O=${o.organization}`}`,
      notBefore: o.notBefore ?? new Date(Date.now() - 3_600_000),
      notAfter: o.notAfter ?? new Date(Date.now() + 365 * DAY),
      publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: ALG,
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
        .toString('hex')
        .replace(/^./, '1'),
      extensions,
    },
    webcrypto,
  );
  return { certPem: cert.toString('pem'), keyPem, certDer: Buffer.from(cert.rawData) };
}

export interface FakeCertServerRequest {
  path: string;
  nodeName: string | undefined;
  authorization: string | undefined;
  /** The subject of a verified client certificate, if one was presented. */
  clientSubject: string | undefined;
}

export interface FakeCertServer {
  port: number;
  requests: FakeCertServerRequest[];
  close(): Promise<void>;
}

export interface FakeCertServerOptions {
  ca: TestCa;
  /** The CA DER served by /ca.crt; default the CA's (a tampered value tests the hash check). */
  servedCaDer?: Buffer;
  /** The JWT part of the token this server accepts. */
  jwt: string;
  /** Lifetime of issued certificates; default 365 days. */
  validityMs?: number;
  /** Names in cloudcore's serving certificate; default 127.0.0.1 and localhost. */
  hosts?: string[];
  /** Nodes `GET /node/{name}` reports as present (200); any other is 404, as cloudhub answers. */
  existingNodes?: string[];
}

export async function startFakeCertServer(options: FakeCertServerOptions): Promise<FakeCertServer> {
  const serving = await issueTestCert(options.ca, {
    commonName: 'KubeEdge',
    organization: 'KubeEdge',
    usage: 'server',
    hosts: options.hosts ?? ['127.0.0.1', 'localhost'],
  });
  const requests: FakeCertServerRequest[] = [];
  const server: Server = createServer(
    {
      cert: serving.certPem,
      key: serving.keyPem,
      ca: [options.ca.certPem],
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const socket = req.socket as TLSSocket;
          const peer = socket.getPeerCertificate(false);
          const hasPeer = peer.raw !== undefined && peer.raw.length > 0;
          const clientSubject =
            hasPeer && socket.authorized ? new X509Certificate(peer.raw).subject : undefined;
          const nodeName = typeof req.headers.nodename === 'string' ? req.headers.nodename : undefined;
          requests.push({
            path: req.url ?? '',
            nodeName,
            authorization: req.headers.authorization,
            clientSubject,
          });
          const send = (status: number, body: string | Buffer): void => {
            res.writeHead(status, { 'Content-Length': Buffer.byteLength(body) });
            res.end(body);
          };
          if (req.url === '/ca.crt') return send(200, options.servedCaDer ?? options.ca.certDer);
          if (req.url?.startsWith('/node/')) {
            const exists = (options.existingNodes ?? []).includes(decodeURIComponent(req.url.slice(6)));
            return exists ? send(200, 'Node found\n') : send(404, 'Node not found\n');
          }
          if (req.url !== '/edge.crt') return send(404, 'no route');
          if (req.method !== 'GET') return send(405, 'use GET');
          if (nodeName === undefined) return send(400, 'NodeName header missing');
          if (hasPeer) {
            if (clientSubject !== `CN=system:node:${nodeName}\nO=system:nodes`) {
              return send(401, 'request node name is not match with the certificate');
            }
          } else if (req.headers.authorization !== `Bearer ${options.jwt}`) {
            return send(401, 'token is expired or invalid');
          }
          const csr = new x509.Pkcs10CertificateRequest(Buffer.concat(chunks));
          if (!(await csr.verify(webcrypto))) return send(400, 'CSR signature invalid');
          const now = Date.now();
          const issued = await issueTestCert(options.ca, {
            commonName: `system:node:${nodeName}`,
            organization: 'system:nodes',
            usage: 'client',
            publicKeyDer: new Uint8Array(csr.publicKey.rawData),
            notBefore: new Date(now - 1000),
            notAfter: new Date(now + (options.validityMs ?? 365 * DAY)),
          });
          send(200, issued.certDer);
        })().catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
}
