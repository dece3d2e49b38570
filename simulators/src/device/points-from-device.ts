/**
 * A simulator configuration derived from a KubeEdge DeviceModel + Device pair
 * (devices.kubeedge.io/v1beta1, kubeedge-protocol.md §8.1), so the simulated device serves exactly
 * what the Device's visitors ask for and a mapper configured by that Device works against it.
 *
 * Modbus (`protocol.configData`: slaveID, communicateMode TCP|RTU, ip, port; visitor `configData`:
 * register, offset, limit, dataType, scale, isSwap, isRegisterSwap — the keys of kubeedge/mappers-go
 * mappers/kubeedge-v1.15.0/modbus/driver/devicetype.go `VisitorConfigData`):
 * - `offset` is the register address; `communicateMode: RTU` serves RTU framing over TCP
 *   (`rtu-over-tcp`), the only RTU a simulator without a serial port can offer.
 * - The register layout follows the visitor's dataType and limit (registers), like KubeEdge's
 *   `TransferData` (mappers/modbus/device/twindata.go), which reads `int` as an unsigned big-endian
 *   integer of 2·limit bytes and needs 4 bytes for `float`, 8 for `double`:
 *
 *     dataType        limit        served as
 *     int             1 (default)  uint16
 *     int             2            uint32
 *     float, double   1            int16 (raw × scale: KubeEdge gives one register no float meaning;
 *                                  a signed register scaled by 0.1 is how such sensors report)
 *     float, double   2            float32        (default for float)
 *     double          4            float64        (default for double)
 *     boolean         1            0/1 in one register
 *     int16 … float64 its width    that type (an edgeproof extension for exact layouts)
 *
 *   Coils and discrete inputs are one bit (limit 1).
 * - ReadWrite properties in the writable tables (CoilRegister, HoldingRegister) can be written.
 *
 * OPC UA (`protocol.configData`: url, securityPolicy, securityMode, userName, password; visitor
 * `configData`: nodeID, browseName): DeviceModel types map INT→Int32, FLOAT→Float, DOUBLE→Double,
 * BOOLEAN→Boolean, STRING→String (a visitor `dataType` such as UInt16 overrides); the None policy is
 * always offered besides the Device's, so tools can browse the endpoints.
 *
 * Signals, unless `options.signals` names one for the property: the property's `desired.value` as
 * a constant; else, for a ReadOnly number, a sine with period 60 s so the value visibly moves —
 * around the middle of minimum..maximum with a quarter of the range as amplitude when the model
 * gives both, else 0 ± 10; FLOAT and DOUBLE at a resolution of 0.1; else 0, false or ''.
 */
import type { Device, DeviceModel, ModelProperty } from '@edgeproof/crds';
import { IssueList, type FieldPath } from '../config/config-error.ts';
import { describe, isObject, type Obj } from '../config/fields.ts';
import type { SimulatorProtocol } from '../faults/fault-spec.ts';
import {
  registerCount,
  MODBUS_DATA_TYPES,
  MODBUS_TABLES,
  type ModbusDataType,
  type ModbusPoint,
  type ModbusTable,
} from '../modbus/modbus-point.ts';
import {
  OPCUA_DATA_TYPES,
  OPCUA_SECURITY_MODES,
  OPCUA_SECURITY_POLICIES,
  type OpcUaDataType,
  type OpcUaPoint,
  type OpcUaSecurityMode,
  type OpcUaSecurityPolicy,
} from '../opcua/opcua-point.ts';
import { parseSignal } from '../signals/parse-signal.ts';
import type { SignalModel, SignalValue } from '../signals/signal-model.ts';
import type { ModbusSettings } from '../modbus/modbus-config.ts';
import type { OpcUaSettings } from '../opcua/opcua-config.ts';

export type ModbusSimulatorConfig = { protocol: 'modbus' } & ModbusSettings;
export type OpcUaSimulatorConfig = { protocol: 'opcua' } & OpcUaSettings;
/** What a simulator is built from: a YAML file, or a DeviceModel + Device. */
export type SimulatorConfig = ModbusSimulatorConfig | OpcUaSimulatorConfig;

export type PointsFromDeviceOptions = {
  /** Signals by property name, instead of the defaults described above. */
  signals?: Record<string, SignalModel>;
};

/** Period of the default sine of a ReadOnly property with a range. */
const DEFAULT_SINE_PERIOD_MS = 60_000;
/** The default sine of a FLOAT or DOUBLE reads as a sensor with this resolution would (21.3). */
const DEFAULT_RESOLUTION = 0.1;

/**
 * The simulator configuration for `device`, whose model is `model`.
 * @throws ConfigError naming the Device or DeviceModel field that cannot be simulated.
 */
export function pointsFromDevice(
  model: DeviceModel,
  device: Device,
  options: PointsFromDeviceOptions = {},
): SimulatorConfig {
  const deviceIssues = new IssueList(`Device ${objectName(device)}`);
  const modelIssues = new IssueList(`DeviceModel ${objectName(model)}`);
  const config = configFromDevice(model, device, deviceIssues, modelIssues, options);
  const all = new IssueList(deviceIssues.source);
  for (const i of [...modelIssues.issues(), ...deviceIssues.issues()]) all.addIssue(i);
  all.throwIfAny();
  return config as SimulatorConfig;
}

/** Like pointsFromDevice, recording problems in the given lists (which know the YAML lines). */
export function configFromDevice(
  model: DeviceModel,
  device: Device,
  deviceIssues: IssueList,
  modelIssues: IssueList,
  options: PointsFromDeviceOptions = {},
): SimulatorConfig | undefined {
  const before = deviceIssues.count + modelIssues.count;
  const spec = isObject(device.spec) ? (device.spec as Obj) : undefined;
  if (!spec) {
    deviceIssues.add(['spec'], 'must be a mapping');
    return undefined;
  }
  const modelSpec = isObject(model.spec) ? (model.spec as Obj) : {};
  const protocolName = protocolOf(device, model);
  if (protocolName === undefined) {
    deviceIssues.add(
      ['spec', 'protocol', 'protocolName'],
      `must be modbus or opcua (the protocols edgeproof simulates), not ${describe(device.spec.protocol?.protocolName ?? modelSpec.protocol)}`,
    );
    return undefined;
  }
  const properties = new Map<string, { property: ModelProperty; index: number }>();
  (Array.isArray(modelSpec.properties) ? (modelSpec.properties as ModelProperty[]) : []).forEach(
    (p, index) => {
      if (isObject(p) && typeof p.name === 'string') properties.set(p.name, { property: p, index });
    },
  );
  const deviceProps = Array.isArray(spec.properties) ? (spec.properties as unknown[]) : [];
  if (deviceProps.length === 0) {
    deviceIssues.add(['spec', 'properties'], 'lists no properties: there is nothing to simulate');
    return undefined;
  }
  const configData = isObject(device.spec.protocol?.configData) ? device.spec.protocol.configData : {};
  const points: (ModbusPoint | OpcUaPoint)[] = [];
  deviceProps.forEach((raw, i) => {
    const at: FieldPath = ['spec', 'properties', i];
    if (!isObject(raw) || typeof raw.name !== 'string' || raw.name === '') {
      deviceIssues.add([...at, 'name'], 'must be a non-empty string');
      return;
    }
    const name = raw.name;
    const modelProp = properties.get(name);
    if (!modelProp) {
      deviceIssues.add(
        [...at, 'name'],
        `property ${name} is not defined by DeviceModel ${objectName(model)}`,
      );
      return;
    }
    const visitors = isObject(raw.visitors) ? raw.visitors : undefined;
    const visitor = visitors && isObject(visitors.configData) ? visitors.configData : undefined;
    if (!visitor) {
      deviceIssues.add(
        [...at, 'visitors', 'configData'],
        `property ${name} has no visitor configData saying where the value lives`,
      );
      return;
    }
    const vat: FieldPath = [...at, 'visitors', 'configData'];
    const signal = signalFor(
      name,
      raw,
      modelProp.property,
      options,
      [...at, 'desired', 'value'],
      deviceIssues,
    );
    const point =
      protocolName === 'modbus'
        ? modbusPoint(name, visitor, vat, modelProp.property, signal, deviceIssues)
        : opcuaPoint(
            name,
            visitor,
            vat,
            modelProp.property,
            ['spec', 'properties', modelProp.index, 'type'],
            signal,
            deviceIssues,
            modelIssues,
          );
    if (point) points.push(point);
  });
  if (deviceIssues.count + modelIssues.count > before) return undefined;
  const name = device.metadata?.name;
  if (protocolName === 'modbus') {
    return {
      protocol: 'modbus',
      ...(name ? { name } : {}),
      ...modbusConnection(configData, deviceIssues),
      points: points as ModbusPoint[],
    };
  }
  return {
    protocol: 'opcua',
    ...(name ? { name } : {}),
    ...opcuaConnection(configData, deviceIssues),
    points: points as OpcUaPoint[],
  };
}

function objectName(o: { metadata?: { name?: string; namespace?: string } }): string {
  const m = o.metadata;
  return m?.namespace ? `${m.namespace}/${m.name ?? '?'}` : (m?.name ?? '(unnamed)');
}

function protocolOf(device: Device, model: DeviceModel): SimulatorProtocol | undefined {
  const raw = device.spec?.protocol?.protocolName ?? model.spec?.protocol;
  const name = typeof raw === 'string' ? raw.toLowerCase() : undefined;
  return name === 'modbus' || name === 'opcua' ? name : undefined;
}

function modbusConnection(c: Obj, issues: IssueList): Omit<ModbusSettings, 'points'> {
  const at: FieldPath = ['spec', 'protocol', 'configData'];
  const out: Omit<ModbusSettings, 'points'> = {};
  if (c.slaveID !== undefined) {
    if (typeof c.slaveID === 'number' && Number.isInteger(c.slaveID) && c.slaveID >= 0 && c.slaveID <= 255)
      out.unitId = c.slaveID;
    else issues.add([...at, 'slaveID'], `must be a whole number 0-255, not ${describe(c.slaveID)}`);
  }
  if (c.communicateMode !== undefined) {
    const mode = typeof c.communicateMode === 'string' ? c.communicateMode.toUpperCase() : '';
    if (mode === 'TCP') out.transport = 'tcp';
    else if (mode === 'RTU') out.transport = 'rtu-over-tcp';
    else issues.add([...at, 'communicateMode'], `must be TCP or RTU, not ${describe(c.communicateMode)}`);
  }
  if (c.ip !== undefined) {
    if (typeof c.ip === 'string' && c.ip !== '') out.host = c.ip;
    else issues.add([...at, 'ip'], `must be an address, not ${describe(c.ip)}`);
  }
  const port = portOf(c.port);
  if (port === null) issues.add([...at, 'port'], `must be a port number, not ${describe(c.port)}`);
  else if (port !== undefined) out.port = port;
  return out;
}

function opcuaConnection(c: Obj, issues: IssueList): Omit<OpcUaSettings, 'points'> {
  const at: FieldPath = ['spec', 'protocol', 'configData'];
  const out: Omit<OpcUaSettings, 'points'> = {};
  if (c.url !== undefined) {
    const m =
      typeof c.url === 'string' ? /^opc\.tcp:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?(\/.*)?$/.exec(c.url) : null;
    if (!m) issues.add([...at, 'url'], `must be opc.tcp://HOST:PORT, not ${describe(c.url)}`);
    else {
      out.host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
      out.port = m[2] === undefined ? 4840 : Number(m[2]);
    }
  }
  let policy: OpcUaSecurityPolicy | undefined;
  if (c.securityPolicy !== undefined) {
    if ((OPCUA_SECURITY_POLICIES as readonly unknown[]).includes(c.securityPolicy))
      policy = c.securityPolicy as OpcUaSecurityPolicy;
    else
      issues.add(
        [...at, 'securityPolicy'],
        `must be one of ${OPCUA_SECURITY_POLICIES.join(', ')}, not ${describe(c.securityPolicy)}`,
      );
  }
  let mode: OpcUaSecurityMode | undefined;
  if (c.securityMode !== undefined) {
    if ((OPCUA_SECURITY_MODES as readonly unknown[]).includes(c.securityMode))
      mode = c.securityMode as OpcUaSecurityMode;
    else
      issues.add(
        [...at, 'securityMode'],
        `must be one of ${OPCUA_SECURITY_MODES.join(', ')}, not ${describe(c.securityMode)}`,
      );
  }
  if (policy !== undefined && policy !== 'None') {
    out.securityPolicies = ['None', policy];
    out.securityModes = ['None', mode !== undefined && mode !== 'None' ? mode : 'SignAndEncrypt'];
  } else if (policy === 'None') {
    out.securityPolicies = ['None'];
    out.securityModes = ['None'];
  }
  if (c.userName !== undefined || c.password !== undefined) {
    if (typeof c.userName !== 'string' || c.userName === '' || typeof c.password !== 'string') {
      issues.add([...at, 'userName'], 'userName and password must both be strings');
    } else {
      out.users = [{ username: c.userName, password: c.password }];
      // The Device says how the mapper logs in; refusing anonymous sessions checks it does.
      out.allowAnonymous = false;
    }
  }
  return out;
}

/** A port as configData holds it (KubeEdge samples quote it: `port: '5020'`); null when malformed. */
function portOf(value: unknown): number | undefined | null {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

function modbusPoint(
  name: string,
  v: Obj,
  at: FieldPath,
  property: ModelProperty,
  signal: SignalModel | undefined,
  issues: IssueList,
): ModbusPoint | undefined {
  const before = issues.count;
  const register = v.register;
  if (typeof register !== 'string' || !(MODBUS_TABLES as readonly string[]).includes(register)) {
    issues.add([...at, 'register'], `must be one of ${MODBUS_TABLES.join(', ')}, not ${describe(register)}`);
    return undefined;
  }
  const table = register as ModbusTable;
  const address = v.offset;
  if (typeof address !== 'number' || !Number.isInteger(address) || address < 0 || address > 65535) {
    issues.add([...at, 'offset'], `must be a register address 0-65535, not ${describe(address)}`);
  }
  const limit = v.limit;
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)) {
    issues.add([...at, 'limit'], `must be a whole number of registers ≥ 1, not ${describe(limit)}`);
  }
  for (const key of ['isSwap', 'isRegisterSwap'] as const) {
    if (v[key] !== undefined && typeof v[key] !== 'boolean')
      issues.add([...at, key], `must be true or false, not ${describe(v[key])}`);
  }
  let scale: number | undefined;
  if (v.scale !== undefined) {
    if (typeof v.scale !== 'number' || !Number.isFinite(v.scale))
      issues.add([...at, 'scale'], `must be a number, not ${describe(v.scale)}`);
    // KubeEdge's scale is omitempty: 0 means unset, i.e. 1.
    else if (v.scale !== 0 && v.scale !== 1) scale = v.scale;
  }
  const visitorType =
    typeof v.dataType === 'string' ? v.dataType.toLowerCase() : (property.type ?? 'INT').toLowerCase();
  const isBit = table === 'CoilRegister' || table === 'DiscreteInputRegister';
  let dataType: ModbusDataType | undefined;
  if (isBit) {
    if (limit !== undefined && limit !== 1)
      issues.add([...at, 'limit'], `a ${table} property is one bit: use limit 1`);
    if (!['int', 'boolean', 'bool'].includes(visitorType))
      issues.add([...at, 'dataType'], `a ${table} holds one bit: use int or boolean, not ${visitorType}`);
  } else {
    dataType = registerType(
      visitorType,
      typeof limit === 'number' ? limit : undefined,
      [...at, 'dataType'],
      issues,
    );
  }
  if (issues.count > before || typeof address !== 'number') return undefined;
  const writable = property.accessMode === 'ReadWrite';
  return {
    name,
    register: table,
    address,
    ...(dataType !== undefined ? { dataType } : {}),
    ...(scale !== undefined ? { scale } : {}),
    ...(v.isSwap === true ? { isSwap: true } : {}),
    ...(v.isRegisterSwap === true ? { isRegisterSwap: true } : {}),
    ...(table === 'CoilRegister' || table === 'HoldingRegister' ? { writable } : {}),
    ...(signal !== undefined ? { signal } : {}),
    ...(property.description !== undefined ? { description: property.description } : {}),
  };
}

/** The table in the header comment. */
function registerType(
  type: string,
  limit: number | undefined,
  at: FieldPath,
  issues: IssueList,
): ModbusDataType | undefined {
  const explicit = (MODBUS_DATA_TYPES as readonly string[]).includes(type)
    ? (type as ModbusDataType)
    : undefined;
  if (explicit) {
    if (limit !== undefined && limit !== registerCount(explicit)) {
      issues.add(at, `${explicit} takes ${registerCount(explicit)} register(s), but limit is ${limit}`);
      return undefined;
    }
    return explicit;
  }
  const byLimit: Record<string, Partial<Record<number, ModbusDataType>> & { default: ModbusDataType }> = {
    int: { 1: 'uint16', 2: 'uint32', default: 'uint16' },
    float: { 1: 'int16', 2: 'float32', 4: 'float64', default: 'float32' },
    double: { 1: 'int16', 2: 'float32', 4: 'float64', default: 'float64' },
    boolean: { 1: 'boolean', default: 'boolean' },
    bool: { 1: 'boolean', default: 'boolean' },
  };
  const row = byLimit[type];
  if (!row) {
    issues.add(
      at,
      `${JSON.stringify(type)} cannot be simulated over Modbus; use int, float, double, boolean or one of ${MODBUS_DATA_TYPES.join(', ')}`,
    );
    return undefined;
  }
  const t = limit === undefined ? row.default : row[limit];
  if (t === undefined) {
    issues.add(
      at,
      `${type} with limit ${limit} has no register layout; use limit ${Object.keys(row)
        .filter((k) => k !== 'default')
        .join(' or ')}`,
    );
  }
  return t;
}

function opcuaPoint(
  name: string,
  v: Obj,
  at: FieldPath,
  property: ModelProperty,
  typeAt: FieldPath,
  signal: SignalModel | undefined,
  issues: IssueList,
  modelIssues: IssueList,
): OpcUaPoint | undefined {
  const nodeId = v.nodeID;
  if (typeof nodeId !== 'string' || !/^ns=1;(s=.+|i=\d+)$/.test(nodeId)) {
    issues.add(
      [...at, 'nodeID'],
      `must be a NodeId in the simulator's namespace (ns=1;s=Name or ns=1;i=123), not ${describe(nodeId)}`,
    );
    return undefined;
  }
  let dataType: OpcUaDataType | undefined;
  if (v.dataType !== undefined) {
    if ((OPCUA_DATA_TYPES as readonly unknown[]).includes(v.dataType)) dataType = v.dataType as OpcUaDataType;
    else {
      issues.add(
        [...at, 'dataType'],
        `must be one of ${OPCUA_DATA_TYPES.join(', ')}, not ${describe(v.dataType)}`,
      );
      return undefined;
    }
  } else {
    const byModel: Record<string, OpcUaDataType> = {
      INT: 'Int32',
      FLOAT: 'Float',
      DOUBLE: 'Double',
      BOOLEAN: 'Boolean',
      STRING: 'String',
    };
    dataType = byModel[property.type ?? ''];
    if (!dataType) {
      modelIssues.add(
        typeAt,
        `${describe(property.type)} cannot be simulated over OPC UA; use INT, FLOAT, DOUBLE, BOOLEAN or STRING`,
      );
      return undefined;
    }
  }
  return {
    name,
    nodeId,
    dataType,
    writable: property.accessMode === 'ReadWrite',
    ...(typeof v.browseName === 'string' && v.browseName !== '' ? { browseName: v.browseName } : {}),
    ...(property.description !== undefined ? { description: property.description } : {}),
    ...(signal !== undefined ? { signal } : {}),
  };
}

function signalFor(
  name: string,
  deviceProp: Obj,
  property: ModelProperty,
  options: PointsFromDeviceOptions,
  desiredAt: FieldPath,
  issues: IssueList,
): SignalModel | undefined {
  const chosen = options.signals?.[name];
  if (chosen !== undefined) {
    const list = new IssueList(`signal for ${name}`);
    const parsed = parseSignal(chosen, [], list);
    for (const i of list.issues()) issues.addIssue(i);
    return parsed;
  }
  const desired = isObject(deviceProp.desired) ? deviceProp.desired.value : undefined;
  const type = property.type ?? 'INT';
  if (desired !== undefined) {
    const value = desiredValue(desired, type);
    if (value === undefined) {
      issues.add(desiredAt, `${describe(desired)} is not a ${type} value`);
      return undefined;
    }
    return { kind: 'constant', value };
  }
  const min = Number(property.minimum);
  const max = Number(property.maximum);
  const numeric = type === 'INT' || type === 'FLOAT' || type === 'DOUBLE';
  if (numeric && property.accessMode !== 'ReadWrite') {
    const ranged =
      property.minimum !== undefined &&
      property.maximum !== undefined &&
      Number.isFinite(min) &&
      Number.isFinite(max) &&
      max > min;
    return {
      kind: 'sine',
      offset: ranged ? (min + max) / 2 : 0,
      amplitude: ranged ? (max - min) / 4 : 10,
      period: DEFAULT_SINE_PERIOD_MS,
      ...(type === 'INT' ? {} : { resolution: DEFAULT_RESOLUTION }),
    };
  }
  if (type === 'BOOLEAN') return { kind: 'constant', value: false };
  if (type === 'STRING') return { kind: 'constant', value: '' };
  return undefined; // constant 0
}

/** Twin values travel as strings (kubeedge-protocol.md §8.1 TwinProperty). */
function desiredValue(raw: unknown, type: string): SignalValue | undefined {
  const text =
    typeof raw === 'string'
      ? raw
      : typeof raw === 'number' || typeof raw === 'boolean'
        ? String(raw)
        : undefined;
  if (text === undefined) return undefined;
  if (type === 'BOOLEAN') return text === 'true' ? true : text === 'false' ? false : undefined;
  if (type === 'STRING') return text;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : undefined;
}
