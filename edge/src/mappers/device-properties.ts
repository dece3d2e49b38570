/**
 * A Device and its DeviceModel, joined and checked once into what a mapper runs
 * (devices.kubeedge.io/v1beta1, kubeedge-protocol.md §8.1). The protocol-specific configData stays
 * opaque here; each protocol's driver factory parses it.
 */
import { InvalidInputError } from '@edgeproof/core';
import type {
  Device,
  DeviceModel,
  ModelProperty,
  PropertyAccessMode,
  PropertyType,
  PushMethodMQTT,
} from '@edgeproof/crds';

/**
 * Default collect and report cycles: 1 s, mapper-framework's `DefaultCollectCycle` and
 * `DefaultReportCycle` (`staging/src/github.com/kubeedge/mapper-framework/pkg/common/const.go`).
 * KubeEdge applies them when the field is 0 or missing.
 */
export const DEFAULT_COLLECT_CYCLE_MS = 1000;
export const DEFAULT_REPORT_CYCLE_MS = 1000;

/** Where a property's readings are also published (Device `pushMethod.mqtt`). */
export type PushMqttTarget = {
  /** Broker URL; unset means the edge's own broker. */
  address?: string;
  topic: string;
  qos: 0 | 1 | 2;
  retained: boolean;
};

/** One property as the mapper runs it: the Device's side joined with the DeviceModel's. */
export type PropertySpec = {
  name: string;
  /** DeviceModel type; `STRING` when the model gives none. */
  type: PropertyType;
  /** DeviceModel accessMode; `ReadOnly` when the model gives none, so nothing is written by accident. */
  accessMode: PropertyAccessMode;
  /** DeviceModel minimum/maximum, when numeric; desired values outside are refused. */
  minimum?: number;
  maximum?: number;
  collectCycleMs: number;
  reportCycleMs: number;
  /** false only when the Device says `reportToCloud: false`: then no twin/update is sent for it. */
  reportToCloud: boolean;
  /** `spec.properties[].desired.value`, written once the device is connected (ReadWrite only). */
  desired?: string;
  pushMqtt?: PushMqttTarget;
  /** `visitors.configData`, for the protocol driver to parse. */
  visitorConfig: unknown;
};

/** A Device ready to be handed to a protocol driver. */
export type DeviceTarget = {
  namespace: string;
  name: string;
  /** `spec.protocol.protocolName`, else the DeviceModel's `spec.protocol`. */
  protocol: string;
  protocolConfig: unknown;
  modelName: string;
  properties: PropertySpec[];
  /** `spec.stateReport.reportCycle` (ms): re-publish the state this often; unset = on change only. */
  stateReportCycleMs?: number;
};

/** `Device <ns>/<name>`: how messages name a device. */
export function deviceLabel(namespace: string, name: string): string {
  return `Device ${namespace}/${name}`;
}

function cycle(value: unknown, fallback: number, where: string): number {
  if (value === undefined || value === null || value === 0) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidInputError(
      `${where} must be a positive number of milliseconds, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function numericBound(text: string | undefined, type: PropertyType, where: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (type !== 'INT' && type !== 'FLOAT' && type !== 'DOUBLE') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new InvalidInputError(`${where} is "${text}", not a number`);
  return n;
}

function pushMqtt(mqtt: PushMethodMQTT | undefined, where: string): PushMqttTarget | undefined {
  if (mqtt === undefined) return undefined;
  if (typeof mqtt.topic !== 'string' || mqtt.topic === '') {
    throw new InvalidInputError(`${where}.topic is required: the MQTT topic to publish readings to`);
  }
  if (/[#+]/.test(mqtt.topic)) {
    throw new InvalidInputError(
      `${where}.topic "${mqtt.topic}" has a wildcard (+ or #); publish topics cannot`,
    );
  }
  const qos = mqtt.qos ?? 0;
  if (qos !== 0 && qos !== 1 && qos !== 2)
    throw new InvalidInputError(`${where}.qos must be 0, 1 or 2, got ${String(qos)}`);
  if (mqtt.address !== undefined && !/^(mqtts?|tcp|ssl|tls|wss?):\/\//.test(mqtt.address)) {
    throw new InvalidInputError(
      `${where}.address "${mqtt.address}" must be a broker URL such as tcp://127.0.0.1:1883 or mqtt://host:1883`,
    );
  }
  return {
    ...(mqtt.address ? { address: mqtt.address } : {}),
    topic: mqtt.topic,
    qos,
    retained: mqtt.retained === true,
  };
}

/**
 * Joins a Device with its DeviceModel.
 * @throws InvalidInputError when the Device names a property the model does not define, a cycle is
 *   not a positive number, or a push target is malformed; the message names the field.
 */
export function resolveDeviceTarget(device: Device, model: DeviceModel): DeviceTarget {
  const namespace = device.metadata.namespace ?? 'default';
  const name = device.metadata.name;
  const label = deviceLabel(namespace, name);
  const spec = device.spec ?? {};
  const modelRef = spec.deviceModelRef?.name;
  if (modelRef !== undefined && modelRef !== model.metadata.name) {
    throw new InvalidInputError(
      `${label}: spec.deviceModelRef.name is "${modelRef}" but DeviceModel "${model.metadata.name}" was given`,
    );
  }
  const protocol = spec.protocol?.protocolName ?? model.spec?.protocol;
  if (protocol === undefined || protocol === '') {
    throw new InvalidInputError(`${label}: spec.protocol.protocolName is required (e.g. modbus or opcua)`);
  }
  const modelProps = new Map<string, ModelProperty>();
  for (const p of model.spec?.properties ?? []) if (p.name) modelProps.set(p.name, p);
  const seen = new Set<string>();
  const properties = (spec.properties ?? []).map((p, i): PropertySpec => {
    const where = `${label} spec.properties[${i}]`;
    if (!p.name) throw new InvalidInputError(`${where}.name is required`);
    if (seen.has(p.name)) throw new InvalidInputError(`${where}: property "${p.name}" is listed twice`);
    seen.add(p.name);
    const mp = modelProps.get(p.name);
    if (!mp) {
      throw new InvalidInputError(
        `${where}: property "${p.name}" is not defined in DeviceModel ${model.metadata.name} (it has ${[...modelProps.keys()].join(', ') || 'no properties'})`,
      );
    }
    const type = mp.type ?? 'STRING';
    const minimum = numericBound(
      mp.minimum,
      type,
      `DeviceModel ${model.metadata.name} property ${p.name} minimum`,
    );
    const maximum = numericBound(
      mp.maximum,
      type,
      `DeviceModel ${model.metadata.name} property ${p.name} maximum`,
    );
    const push = pushMqtt(p.pushMethod?.mqtt, `${where}.pushMethod.mqtt`);
    return {
      name: p.name,
      type,
      accessMode: mp.accessMode ?? 'ReadOnly',
      ...(minimum !== undefined ? { minimum } : {}),
      ...(maximum !== undefined ? { maximum } : {}),
      collectCycleMs: cycle(p.collectCycle, DEFAULT_COLLECT_CYCLE_MS, `${where}.collectCycle`),
      reportCycleMs: cycle(p.reportCycle, DEFAULT_REPORT_CYCLE_MS, `${where}.reportCycle`),
      reportToCloud: p.reportToCloud !== false,
      ...(p.desired?.value !== undefined && p.desired.value !== '' ? { desired: p.desired.value } : {}),
      ...(push ? { pushMqtt: push } : {}),
      visitorConfig: p.visitors?.configData,
    };
  });
  const stateCycle = spec.stateReport?.reportCycle;
  return {
    namespace,
    name,
    protocol,
    protocolConfig: spec.protocol?.configData,
    modelName: model.metadata.name,
    properties,
    ...(stateCycle
      ? { stateReportCycleMs: cycle(stateCycle, 0, `${label} spec.stateReport.reportCycle`) }
      : {}),
  };
}
