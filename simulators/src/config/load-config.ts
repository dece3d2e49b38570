/**
 * Loading a simulator configuration from YAML. Two kinds of input, told apart by content:
 *
 * 1. An edgeproof simulator file: one document with `protocol: modbus|opcua`, connection settings
 *    and `points` (see modbus-config.ts / opcua-config.ts, and simulators/README.md).
 * 2. KubeEdge manifests: a DeviceModel and a Device (devices.kubeedge.io/v1beta1), in one
 *    multi-document file or spread over several files (`--config model.yaml,device.yaml`); the
 *    points come from the Device's visitors (points-from-device.ts). Other Kubernetes objects in
 *    the files are skipped. With several Devices of the protocol, `device` picks one by name.
 *
 * Every problem is reported as `file:line: field: message`.
 */
import { dirname } from 'node:path';
import type { Device, DeviceModel } from '@edgeproof/crds';
import { ConfigError, IssueList, type ConfigIssue } from './config-error.ts';
import { isObject, type Obj } from './fields.ts';
import { readYamlFile, type YamlDocument } from './yaml-source.ts';
import type { SimulatorProtocol } from '../faults/fault-spec.ts';
import { parseModbusSettings } from '../modbus/modbus-config.ts';
import { parseOpcUaSettings } from '../opcua/opcua-config.ts';
import {
  configFromDevice,
  type PointsFromDeviceOptions,
  type SimulatorConfig,
} from '../device/points-from-device.ts';

export type LoadConfigOptions = {
  /** The protocol asked for (`edgeproof sim modbus`): a file of the other protocol is an error. */
  protocol?: SimulatorProtocol;
  /** Which Device to simulate when the files hold several of the protocol (by metadata.name). */
  device?: string;
} & PointsFromDeviceOptions;

type Loaded = { file: string; doc: YamlDocument };

const DEVICES_GROUP = 'devices.kubeedge.io/';

/**
 * Reads and checks the configuration in `files`.
 * @throws ConfigError (an InvalidInputError) with every problem found, each with file and line.
 */
export function loadSimulatorConfig(
  files: string | readonly string[],
  options: LoadConfigOptions = {},
): SimulatorConfig {
  const paths = typeof files === 'string' ? [files] : [...files];
  if (paths.length === 0)
    throw new ConfigError([{ source: '(no file)', field: '', message: 'no configuration file given' }]);
  const docs: Loaded[] = [];
  const issues: ConfigIssue[] = [];
  for (const file of paths) {
    try {
      for (const doc of readYamlFile(file)) docs.push({ file, doc });
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const simDocs: Loaded[] = [];
  const models: Loaded[] = [];
  const devices: Loaded[] = [];
  for (const l of docs) {
    const v = l.doc.value;
    if (!isObject(v)) {
      l.doc.issues.add(
        [],
        'must be a mapping: a simulator config (protocol, points) or a KubeEdge DeviceModel/Device',
      );
      continue;
    }
    if (typeof v.apiVersion === 'string' && typeof v.kind === 'string') {
      if (v.apiVersion.startsWith(DEVICES_GROUP) && v.kind === 'DeviceModel') models.push(l);
      else if (v.apiVersion.startsWith(DEVICES_GROUP) && v.kind === 'Device') devices.push(l);
      // Any other Kubernetes object is not for the simulator; skip it.
      continue;
    }
    simDocs.push(l);
  }
  const collected = (): ConfigIssue[] => docs.flatMap((l) => [...l.doc.issues.issues()]);
  if (collected().length > 0) throw new ConfigError(collected());

  if (simDocs.length > 0) {
    if (simDocs.length > 1 || devices.length > 0) {
      const [first, second] = [simDocs[0], simDocs[1] ?? devices[0]];
      throw new ConfigError([
        {
          source: second?.file ?? first?.file ?? '',
          field: '',
          message: `give one simulator config, or a DeviceModel and a Device, not both; ${first?.file ?? ''} already is a simulator config`,
        },
      ]);
    }
    return fromSimulatorFile(simDocs[0] as Loaded, options);
  }
  return fromDevice(models, devices, paths, options);
}

function fromSimulatorFile(l: Loaded, options: LoadConfigOptions): SimulatorConfig {
  const v = l.doc.value as Obj;
  const issues = l.doc.issues;
  let protocol: SimulatorProtocol | undefined;
  if (v.protocol === undefined) {
    protocol = options.protocol;
    if (!protocol) issues.add(['protocol'], 'missing: say modbus or opcua');
  } else if (v.protocol === 'modbus' || v.protocol === 'opcua') {
    protocol = v.protocol;
    if (options.protocol && options.protocol !== protocol) {
      issues.add(
        ['protocol'],
        `this file configures an ${protocol} simulator, but ${options.protocol} was asked for`,
      );
    }
  } else {
    issues.add(['protocol'], `must be modbus or opcua, not ${JSON.stringify(v.protocol)}`);
  }
  const signalOptions = { baseDir: dirname(l.file) };
  let config: SimulatorConfig | undefined;
  if (protocol === 'modbus') {
    const s = parseModbusSettings(v, [], issues, signalOptions);
    if (s) config = { protocol, ...s };
  } else if (protocol === 'opcua') {
    const s = parseOpcUaSettings(v, [], issues, signalOptions);
    if (s) config = { protocol, ...s };
  }
  issues.throwIfAny();
  return config as SimulatorConfig;
}

function fromDevice(
  models: Loaded[],
  devices: Loaded[],
  paths: string[],
  options: LoadConfigOptions,
): SimulatorConfig {
  const where = paths.join(', ');
  const fail = (message: string, at?: Loaded): never => {
    throw new ConfigError([{ source: at?.file ?? where, field: '', message }]);
  };
  if (devices.length === 0) {
    return fail(
      models.length > 0
        ? 'holds a DeviceModel but no Device: give the Device too (--config model.yaml,device.yaml)'
        : 'holds neither a simulator config (protocol, points) nor a KubeEdge DeviceModel and Device',
    );
  }
  const nameOf = (l: Loaded): string => {
    const m = (l.doc.value as { metadata?: { name?: unknown } }).metadata;
    return typeof m?.name === 'string' ? m.name : '';
  };
  const protocolOf = (l: Loaded): string => {
    const d = l.doc.value as Device;
    const p = d.spec?.protocol?.protocolName;
    return typeof p === 'string' ? p.toLowerCase() : '';
  };
  let candidates = devices;
  if (options.device !== undefined) {
    candidates = devices.filter((d) => nameOf(d) === options.device);
    if (candidates.length === 0)
      fail(`no Device named ${options.device}; found ${devices.map(nameOf).join(', ')}`);
  } else if (options.protocol !== undefined) {
    candidates = devices.filter((d) => protocolOf(d) === options.protocol);
    if (candidates.length === 0) {
      fail(
        `no ${options.protocol} Device (spec.protocol.protocolName); found ${devices.map((d) => `${nameOf(d)} (${protocolOf(d) || 'no protocol'})`).join(', ')}`,
      );
    }
  }
  if (candidates.length > 1)
    fail(`holds several Devices (${candidates.map(nameOf).join(', ')}): pick one with --device NAME`);
  const device = candidates[0] as Loaded;
  const d = device.doc.value as Device;
  if (options.protocol !== undefined && protocolOf(device) !== options.protocol) {
    device.doc.issues.add(
      ['spec', 'protocol', 'protocolName'],
      `is ${JSON.stringify(protocolOf(device))}, but ${options.protocol} was asked for`,
    );
    device.doc.issues.throwIfAny();
  }
  const ref = d.spec?.deviceModelRef?.name;
  if (typeof ref !== 'string' || ref === '') {
    device.doc.issues.add(['spec', 'deviceModelRef', 'name'], 'must name the DeviceModel');
    device.doc.issues.throwIfAny();
  }
  const ns = d.metadata?.namespace ?? 'default';
  const model = models.find((m) => {
    const meta = (m.doc.value as DeviceModel).metadata;
    return meta?.name === ref && (meta.namespace ?? 'default') === ns;
  });
  if (!model) {
    device.doc.issues.add(
      ['spec', 'deviceModelRef', 'name'],
      `DeviceModel ${ns}/${String(ref)} is not in ${where}: give its file too (--config model.yaml,device.yaml)`,
    );
    device.doc.issues.throwIfAny();
  }
  const m = model as Loaded;
  const config = configFromDevice(m.doc.value as DeviceModel, d, device.doc.issues, m.doc.issues, options);
  const all = new IssueList(device.file);
  for (const i of [...m.doc.issues.issues(), ...device.doc.issues.issues()]) all.addIssue(i);
  all.throwIfAny();
  return config as SimulatorConfig;
}
