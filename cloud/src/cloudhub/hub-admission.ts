/**
 * Who may open a cloudhub WebSocket session: the checks made on the upgrade request, before any
 * WebSocket exists, so a refused peer gets an HTTP status and a readable reason.
 *
 * Behaviour checked in kubeedge/kubeedge:
 * - `cloud/pkg/cloudhub/servers/server.go`: `ClientAuth: tls.RequireAndVerifyClientCert` against the
 *   cloud CA, TLS ≥ 1.2. Go verifies client certificates for `ExtKeyUsageClientAuth`.
 * - `cloud/pkg/cloudhub/authorization/authorizer.go` `authenticateConnection` (only when
 *   `cloudHub.authorization.enable`, default false): exactly one peer certificate ("immediate
 *   certificates are not supported"), verified against the CA, user name (CN) must be
 *   `system:node:<node_id header>`.
 * - `cloud/pkg/cloudhub/handler/message_handler.go` `HandleConnection`: the node is the `node_id`
 *   header; then `SessionManager.ReachLimit()` (`NodeNumber >= NodeLimit`, `session_manager.go`).
 *
 * Where this differs on purpose:
 * - KubeEdge upgrades first and then refuses by logging and dropping the connection, so the edge
 *   never learns why. Here the upgrade is answered with a status and a text body.
 * - The CN check is on by default (ARCHITECTURE.md §5); `enforceNodeIdentity: false` is KubeEdge's
 *   default behaviour.
 * - A missing or malformed `node_id` is refused (KubeEdge would open a session for node "").
 * - A node that already has a session may reconnect even at the node limit: the new connection
 *   replaces the old one, so the count does not grow (KubeEdge counts the old session until it is
 *   gone and refuses the reconnect).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import { isDns1123Subdomain } from '@edgeproof/core';

/** `k8s.io/kubernetes/cmd/kubeadm/app/constants.NodesUserPrefix`. */
export const NODE_USER_PREFIX = 'system:node:';
/** `cloudHub.nodeLimit` default. */
export const DEFAULT_NODE_LIMIT = 500;

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const ANY_EKU_OID = '2.5.29.37.0';
const NOT_FOR_CLIENT_AUTH =
  'client certificate rejected: it is not valid for client authentication (no clientAuth extended key usage); use the node certificate from keadm join';

/** What the hub knows about an upgrade request. */
export interface UpgradeRequest {
  headers: IncomingHttpHeaders;
  /** `TLSSocket.authorized`: the chain verified against the CA. */
  authorized: boolean;
  /** `TLSSocket.authorizationError`, when not authorized. */
  authorizationError: string | undefined;
  /** `TLSSocket.getPeerCertificate(false)`; an empty object when none was sent. */
  peerCertificate: PeerCertificate | Record<string, never>;
}

export interface AdmissionPolicy {
  enforceNodeIdentity: boolean;
  nodeLimit: number;
  /** Sessions open now. */
  sessionCount: number;
  hasSession: (nodeId: string) => boolean;
}

export type Admission =
  | { ok: true; nodeId: string; projectId: string; replaces: boolean }
  | { ok: false; status: number; reason: string; nodeId: string | undefined };

/** Decides on one upgrade request. Pure: no I/O, no logging. */
export function admitUpgrade(req: UpgradeRequest, policy: AdmissionPolicy): Admission {
  const rawNodeId = headerText(req.headers['node_id']);
  const nodeId = rawNodeId === undefined || rawNodeId === '' ? undefined : rawNodeId;
  const refuse = (status: number, reason: string): Admission => ({ ok: false, status, reason, nodeId });

  const raw = (req.peerCertificate as Partial<PeerCertificate>).raw;
  if (raw === undefined || raw.length === 0) {
    return refuse(
      401,
      "client certificate required: connect with the node certificate issued by this cloud's CA (keadm join --token)",
    );
  }
  if (!req.authorized) {
    // OpenSSL checks the purpose while verifying the chain (X509_V_ERR_INVALID_PURPOSE): a
    // certificate from this CA without clientAuth fails there, not at the EKU check below.
    return refuse(
      401,
      req.authorizationError === 'INVALID_PURPOSE'
        ? NOT_FOR_CLIENT_AUTH
        : `client certificate rejected (${req.authorizationError ?? 'not verified'}): it must be issued by this cloud's CA; join again with a token`,
    );
  }
  // The EKU OIDs TLS already parsed (no second parse of the certificate per connection); absent
  // when the certificate has no EKU extension, which RFC 5280 §4.2.1.12 (and Go) read as "any usage".
  const eku: string[] | undefined = (req.peerCertificate as Partial<PeerCertificate>).ext_key_usage;
  if (eku !== undefined && !eku.includes(CLIENT_AUTH_OID) && !eku.includes(ANY_EKU_OID)) {
    return refuse(401, NOT_FOR_CLIENT_AUTH);
  }

  if (nodeId === undefined) {
    return refuse(400, 'node_id header missing: send the node name in the node_id header, as edgehub does');
  }
  if (!isDns1123Subdomain(nodeId)) {
    return refuse(400, `node_id "${nodeId}" is not a valid node name (lower-case RFC 1123 subdomain)`);
  }

  if (policy.enforceNodeIdentity) {
    const cn = (req.peerCertificate as Partial<PeerCertificate>).subject?.CN;
    const commonName = Array.isArray(cn) ? cn.join(',') : cn;
    if (commonName !== `${NODE_USER_PREFIX}${nodeId}`) {
      return refuse(
        403,
        `client certificate is for "${commonName ?? ''}" but node_id is "${nodeId}": a node may only connect as ${NODE_USER_PREFIX}<its own name>`,
      );
    }
  }

  const replaces = policy.hasSession(nodeId);
  if (!replaces && policy.sessionCount >= policy.nodeLimit) {
    return refuse(
      503,
      `node limit reached: this cloudhub serves at most ${policy.nodeLimit} nodes; raise nodeLimit or connect to another cloudcore`,
    );
  }
  const projectId = headerText(req.headers['project_id']) ?? '';
  return { ok: true, nodeId, projectId, replaces };
}

function headerText(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text?.trim();
}
