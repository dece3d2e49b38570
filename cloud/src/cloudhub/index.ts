/** Cloudhub: certificate bootstrap on :10002, the join token, and cloudcore's credentials in Secrets. */
export {
  CertServer,
  CA_PATH,
  CERT_PATH,
  DEFAULT_CERT_SERVER_PORT,
  type CertServerOptions,
} from './cert-server.ts';
export {
  CloudSecrets,
  KUBEEDGE_NAMESPACE,
  readJoinToken,
  SECRET_KEYS,
  SECRET_NAMES,
  TOKEN_REFRESH_MS,
  type CloudHubCa,
  type CloudHubCredentials,
  type CloudHubServingCertificate,
  type CloudSecretsOptions,
} from './cloud-secrets.ts';
export {
  TOKEN_TTL_MS,
  createToken,
  hashCaCertificate,
  splitToken,
  verifyToken,
  verifyTokenJwt,
  type CreateTokenOptions,
  type TokenCheck,
  type TokenFailureReason,
  type TokenParts,
  type VerifyTokenOptions,
} from './token.ts';
