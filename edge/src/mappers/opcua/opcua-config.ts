/**
 * The OPC UA mapper's configData keys, parsed once when a Device is added. Pure: no node-opcua
 * import, so a bad Device is rejected without loading the OPC UA stack.
 *
 * Device `spec.protocol.configData` (the field names of KubeEdge's typed v1alpha2 OPC UA config,
 * `ProtocolConfigOpcUA`, also used by kubeedge/mappers-go `mappers/opcua/configmap/type.go`; see
 * crds/examples/opcua-device.yaml):
 * - `url`: the endpoint, `opc.tcp://host:port[/path]` (required).
 * - `securityPolicy`: `None`, `Basic128Rsa15`, `Basic256`, `Basic256Sha256`,
 *   `Aes128_Sha256_RsaOaep`, `Aes256_Sha256_RsaPss` (mappers-go's spellings `Aes128Sha256RsaOaep`,
 *   `Aes256Sha256RsaPss` and full policy URIs are accepted too).
 * - `securityMode`: `None`, `Sign`, `SignAndEncrypt`. With only one of the two set, the other
 *   follows: a policy other than None implies SignAndEncrypt; Sign or SignAndEncrypt without a
 *   policy implies Basic256Sha256. None with a signing policy (or the reverse) is an error.
 * - `userName` + `password`: user name authentication; anonymous without them. mappers-go reads the
 *   password from a file named by `password` (`driver/client.go` readPassword); here `password` is
 *   the password itself and `passwordFile` names a file (its trailing newline is dropped).
 * - `certificate` + `privateKey`: PEM files of the client's application instance certificate;
 *   without them a self-signed one is created in the mapper's PKI folder (under the data dir).
 * - `timeout`: ms for connecting and for each request; default 5000.
 *
 * Property `visitors.configData`:
 * - `nodeID` (also `nodeId`): the node, in OPC UA string form (`ns=1;s=Boiler.Temperature`, `i=2258`,
 *   `ns=2;g=<guid>`, `ns=3;b=<base64>`, `nsu=<uri>;s=…`).
 * - `browseName`: informational, as in KubeEdge.
 * - `subscribe: true`: receive the value through a subscription (a monitored item) instead of polling
 *   it every collectCycle; `samplingInterval` (ms) defaults to the property's collectCycle.
 * - `dataType`: the OPC UA built-in type to write with, when the DeviceModel type's mapping
 *   (INT→Int32, FLOAT→Float, DOUBLE→Double, BOOLEAN→Boolean, STRING→String) does not match the node.
 */
import { InvalidInputError } from '@edgeproof/core';
import type { PropertyType } from '@edgeproof/crds';
import {
  configSource,
  optionalBoolean,
  optionalChoice,
  optionalNumber,
  optionalString,
  requiredString,
  unknownKeys,
} from '../config-values.ts';

export const OPCUA_SECURITY_POLICIES = [
  'None',
  'Basic128Rsa15',
  'Basic256',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;
export type OpcUaSecurityPolicy = (typeof OPCUA_SECURITY_POLICIES)[number];

export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type OpcUaSecurityMode = (typeof OPCUA_SECURITY_MODES)[number];

/** Built-in types a property may be written as (OPC UA Part 6 §5.1.2). */
export const OPCUA_WRITE_TYPES = [
  'Boolean',
  'SByte',
  'Byte',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Int64',
  'UInt64',
  'Float',
  'Double',
  'String',
] as const;
export type OpcUaWriteType = (typeof OPCUA_WRITE_TYPES)[number];

export const OPCUA_DEFAULT_TIMEOUT_MS = 5000;

export type OpcUaConnection = {
  url: string;
  securityPolicy: OpcUaSecurityPolicy;
  securityMode: OpcUaSecurityMode;
  userName?: string;
  password?: string;
  passwordFile?: string;
  certificateFile?: string;
  privateKeyFile?: string;
  timeoutMs: number;
};

export type OpcUaVisitor = {
  nodeId: string;
  browseName?: string;
  subscribe: boolean;
  samplingIntervalMs: number;
  writeType?: OpcUaWriteType;
};

const PROTOCOL_KEYS = [
  'url',
  'securityPolicy',
  'securityMode',
  'userName',
  'password',
  'passwordFile',
  'certificate',
  'privateKey',
  'timeout',
];
const VISITOR_KEYS = ['nodeID', 'nodeId', 'browseName', 'subscribe', 'samplingInterval', 'dataType'];

const POLICY_ALIASES: Record<string, OpcUaSecurityPolicy> = {
  aes128sha256rsaoaep: 'Aes128_Sha256_RsaOaep',
  aes256sha256rsapss: 'Aes256_Sha256_RsaPss',
};

function parsePolicy(text: string | undefined, where: string): OpcUaSecurityPolicy | undefined {
  if (text === undefined) return undefined;
  // Full URIs: http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256
  const name = text.includes('#') ? (text.split('#').pop() ?? '') : text;
  const exact = OPCUA_SECURITY_POLICIES.find((p) => p.toLowerCase() === name.toLowerCase());
  const policy = exact ?? POLICY_ALIASES[name.toLowerCase().replace(/_/g, '')];
  if (policy === undefined) {
    throw new InvalidInputError(
      `${where}.securityPolicy is "${text}"; expected one of ${OPCUA_SECURITY_POLICIES.join(', ')}`,
    );
  }
  return policy;
}

/**
 * Parses `spec.protocol.configData` of an OPC UA Device.
 * @throws InvalidInputError naming the key that is wrong and what it should be.
 */
export function parseOpcUaProtocol(
  configData: unknown,
  where: string,
  warn?: (message: string) => void,
): OpcUaConnection {
  const src = configSource(configData, where);
  const extra = unknownKeys(src, PROTOCOL_KEYS);
  if (extra.length > 0 && warn) warn(`${where}: ignoring unknown key(s) ${extra.join(', ')}`);
  const url = requiredString(src, ['url'], 'the OPC UA endpoint, e.g. opc.tcp://127.0.0.1:4840');
  if (!/^opc\.tcp:\/\/[^/:]+(:\d+)?(\/.*)?$/.test(url)) {
    throw new InvalidInputError(`${where}.url "${url}" must look like opc.tcp://host:port`);
  }
  const policyGiven = parsePolicy(optionalString(src, ['securityPolicy']), where);
  const modeGiven = optionalChoice(src, ['securityMode'], OPCUA_SECURITY_MODES);
  const securityPolicy = policyGiven ?? (modeGiven && modeGiven !== 'None' ? 'Basic256Sha256' : 'None');
  const securityMode = modeGiven ?? (securityPolicy === 'None' ? 'None' : 'SignAndEncrypt');
  if ((securityPolicy === 'None') !== (securityMode === 'None')) {
    throw new InvalidInputError(
      `${where}: securityMode ${securityMode} with securityPolicy ${securityPolicy} is not a valid pair; use None with None, or Sign/SignAndEncrypt with a policy such as Basic256Sha256`,
    );
  }
  const userName = optionalString(src, ['userName']);
  const password = optionalString(src, ['password']);
  const passwordFile = optionalString(src, ['passwordFile']);
  if ((password !== undefined || passwordFile !== undefined) && userName === undefined) {
    throw new InvalidInputError(`${where}: a password is set but userName is not`);
  }
  if (password !== undefined && passwordFile !== undefined) {
    throw new InvalidInputError(`${where}: set password or passwordFile, not both`);
  }
  if (userName !== undefined && password === undefined && passwordFile === undefined) {
    throw new InvalidInputError(`${where}: userName "${userName}" needs password (or passwordFile)`);
  }
  const certificateFile = optionalString(src, ['certificate']);
  const privateKeyFile = optionalString(src, ['privateKey']);
  if ((certificateFile === undefined) !== (privateKeyFile === undefined)) {
    throw new InvalidInputError(`${where}: certificate and privateKey go together; set both or neither`);
  }
  return {
    url,
    securityPolicy,
    securityMode,
    ...(userName !== undefined ? { userName } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(passwordFile !== undefined ? { passwordFile } : {}),
    ...(certificateFile !== undefined ? { certificateFile } : {}),
    ...(privateKeyFile !== undefined ? { privateKeyFile } : {}),
    timeoutMs: optionalNumber(src, ['timeout'], { integer: true, min: 1 }) ?? OPCUA_DEFAULT_TIMEOUT_MS,
  };
}

// OPC UA Part 6 §5.3.1.10 string form of a NodeId: [ns=<n>;|nsu=<uri>;]<i|s|g|b>=<id>.
const NODE_ID =
  /^(?:(?:ns=\d+|nsu=[^;]+);)?(?:i=\d+|s=.+|g=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|b=[A-Za-z0-9+/]+=*)$/;

/** The write type a DeviceModel type maps to (the mapping the issue fixes; KubeEdge has none). */
export function writeTypeForModel(type: PropertyType): OpcUaWriteType | undefined {
  switch (type) {
    case 'INT':
      return 'Int32';
    case 'FLOAT':
      return 'Float';
    case 'DOUBLE':
      return 'Double';
    case 'BOOLEAN':
      return 'Boolean';
    case 'STRING':
      return 'String';
    case 'BYTES':
    case 'STREAM':
      return undefined;
  }
}

/**
 * Parses a property's `visitors.configData`.
 * @param collectCycleMs the property's collectCycle, the default sampling interval.
 * @throws InvalidInputError naming the key that is wrong and what it should be.
 */
export function parseOpcUaVisitor(
  configData: unknown,
  modelType: PropertyType,
  collectCycleMs: number,
  where: string,
  warn?: (message: string) => void,
): OpcUaVisitor {
  const src = configSource(configData, where);
  const extra = unknownKeys(src, VISITOR_KEYS);
  if (extra.length > 0 && warn) warn(`${where}: ignoring unknown key(s) ${extra.join(', ')}`);
  const nodeId = requiredString(
    src,
    ['nodeID', 'nodeId'],
    'the node to read, e.g. ns=1;s=Boiler.Temperature',
  );
  if (!NODE_ID.test(nodeId)) {
    throw new InvalidInputError(
      `${where}.nodeID "${nodeId}" is not an OPC UA node id; use the form ns=<index>;s=<name> or ns=<index>;i=<number>${nodeId.includes(',') ? ' (a semicolon, not a comma, separates the parts)' : ''}`,
    );
  }
  const browseName = optionalString(src, ['browseName']);
  const writeType = optionalChoice(src, ['dataType'], OPCUA_WRITE_TYPES) ?? writeTypeForModel(modelType);
  return {
    nodeId,
    ...(browseName !== undefined ? { browseName } : {}),
    subscribe: optionalBoolean(src, ['subscribe']) ?? false,
    samplingIntervalMs: optionalNumber(src, ['samplingInterval'], { min: 0 }) ?? collectCycleMs,
    ...(writeType !== undefined ? { writeType } : {}),
  };
}
