// Cloudhub credentials for tests that run a real HubServer: a fresh cloud CA and a serving
// certificate for `host`, in the shape CloudSecrets hands to the hub (`CloudHubCredentials`).
import { createPrivateKey } from 'node:crypto';
import type { Clock } from '@edgeproof/core';
import type { CloudHubCredentials } from '../../src/cloudhub/cloud-secrets.ts';
import {
  createCertificateAuthority,
  issueCertificate,
  type CertificateAuthority,
} from '../../src/pki/pki.ts';

export async function testHubCredentials(
  clock: Clock,
  host: string,
): Promise<{ ca: CertificateAuthority; credentials: CloudHubCredentials }> {
  const ca = await createCertificateAuthority({ commonName: 'KubeEdge', clock, validityDays: 2 });
  const serving = await issueCertificate({
    ca,
    commonName: 'KubeEdge',
    organization: 'KubeEdge',
    ipAddresses: [host],
    usages: ['server'],
    validityDays: 1,
    clock,
  });
  const caKeyDer = createPrivateKey(ca.keyPem).export({ type: 'sec1', format: 'der' });
  const credentials: CloudHubCredentials = {
    ca: () => ({ certDer: ca.certDer, certPem: ca.certPem, keyDer: caKeyDer, keyPem: ca.keyPem }),
    servingCertificate: () => ({
      certDer: serving.certDer,
      certPem: serving.certPem,
      keyPem: serving.keyPem ?? '',
    }),
  };
  return { ca, credentials };
}
