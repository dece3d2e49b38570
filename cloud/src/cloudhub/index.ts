/** Cloudhub: the WebSocket server on :10000 with its node sessions, certificate bootstrap on :10002, the join token, and cloudcore's credentials in Secrets. */
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
export {
  DEFAULT_NODE_LIMIT,
  NODE_USER_PREFIX,
  admitUpgrade,
  type Admission,
  type AdmissionPolicy,
  type UpgradeRequest,
} from './hub-admission.ts';
export { DEFAULT_HUB_PORT, HubServer, type HubEvents, type HubServerOptions } from './hub-server.ts';
export {
  CLOSE_CODES,
  DEFAULT_KEEPALIVE_TIMEOUT_MS,
  DEFAULT_MAX_BAD_FRAMES,
  NodeSession,
  NodeSessionClosedError,
  type NodeSessionOptions,
  type SessionCloseKind,
  type SessionCloseReason,
  type SessionTransport,
} from './node-session.ts';
