/**
 * An OPC UA point: a Variable in the simulator's own namespace (index 1), addressed by a string
 * or numeric NodeId such as `ns=1;s=Boiler.Temperature` (OPC 10000-6 §5.3.1.10 NodeId string form).
 */
import type { SignalModel } from '../signals/signal-model.ts';

/** Built-in DataTypes a point may have (OPC 10000-6 §5.1.2 built-in types). */
export const OPCUA_DATA_TYPES = [
  'Double',
  'Float',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Boolean',
  'String',
] as const;
export type OpcUaDataType = (typeof OPCUA_DATA_TYPES)[number];

/** Security policies offered (OPC 10000-7 profiles); None and Basic256Sha256 are the usual pair. */
export const OPCUA_SECURITY_POLICIES = [
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;
export type OpcUaSecurityPolicy = (typeof OPCUA_SECURITY_POLICIES)[number];

export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type OpcUaSecurityMode = (typeof OPCUA_SECURITY_MODES)[number];

export type OpcUaPoint = {
  name: string;
  /** `ns=1;s=…` or `ns=1;i=…`: the simulator serves its own namespace, index 1. */
  nodeId: string;
  dataType: OpcUaDataType;
  /** Whether clients may write it; default false. */
  writable?: boolean;
  /** Default: the part of the NodeId after its last `.` (`Temperature` for `s=Boiler.Temperature`). */
  browseName?: string;
  description?: string;
  /** Default: constant 0 (false, '' for Boolean and String). */
  signal?: SignalModel;
};

export type OpcUaUser = { username: string; password: string };

/** Matches the NodeIds a point may have. */
export const POINT_NODE_ID = /^ns=1;(s=.+|i=\d+)$/;

export function browseNameOf(point: OpcUaPoint): string {
  if (point.browseName !== undefined) return point.browseName;
  const id = point.nodeId.replace(/^ns=1;[si]=/, '');
  return id.slice(id.lastIndexOf('.') + 1) || id;
}
