/**
 * Device and DeviceModel manifests from YAML (multi-document), as `kubectl apply -f` takes them
 * (crds/examples/*-device*.yaml), paired by `spec.deviceModelRef.name` within a namespace. Used to
 * run mappers outside edgecore (standalone.ts).
 */
import { DEVICES_API_VERSION, type Device, type DeviceModel } from '@edgeproof/crds';
import { InvalidInputError, errorMessage } from '@edgeproof/core';
import { parseAllDocuments } from 'yaml';

export type DeviceManifests = {
  /** Devices with their models; `model` is undefined when none was found (see `problems`). */
  devices: { device: Device; model: DeviceModel | undefined }[];
  /** What was skipped, and why: one line each, naming the source. */
  problems: string[];
};

type Source = { text: string; source: string };

/**
 * Reads every Device and DeviceModel in the sources. Other kinds are skipped with a note; a
 * document that is not valid YAML, or a Device/DeviceModel without a name, is an error.
 * @throws InvalidInputError naming the source and document.
 */
export function loadDeviceManifests(sources: readonly Source[]): DeviceManifests {
  const devices: Device[] = [];
  const models = new Map<string, DeviceModel>();
  const problems: string[] = [];
  for (const { text, source } of sources) {
    parseAllDocuments(text).forEach((doc, i) => {
      const where = `${source} document ${i + 1}`;
      if ('errors' in doc && doc.errors.length > 0) {
        throw new InvalidInputError(`${where}: not valid YAML: ${errorMessage(doc.errors[0])}`);
      }
      const value = doc.toJS() as unknown;
      if (value === null || value === undefined) return;
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new InvalidInputError(`${where}: expected a Kubernetes object (a mapping)`);
      }
      const obj = value as Record<string, unknown>;
      const kind = obj['kind'];
      if (kind !== 'Device' && kind !== 'DeviceModel') {
        problems.push(`${where}: skipping kind ${String(kind)}; only Device and DeviceModel are read`);
        return;
      }
      if (obj['apiVersion'] !== DEVICES_API_VERSION) {
        throw new InvalidInputError(
          `${where}: ${kind} has apiVersion ${String(obj['apiVersion'])}; expected ${DEVICES_API_VERSION}`,
        );
      }
      const metadata = obj['metadata'] as { name?: unknown; namespace?: unknown } | undefined;
      if (typeof metadata?.name !== 'string' || metadata.name === '') {
        throw new InvalidInputError(`${where}: ${kind} needs metadata.name`);
      }
      const spec = obj['spec'];
      if (spec !== undefined && (typeof spec !== 'object' || spec === null || Array.isArray(spec))) {
        throw new InvalidInputError(`${where}: ${kind} ${metadata.name} spec must be a mapping`);
      }
      const namespace =
        typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
      const normalized = {
        ...obj,
        metadata: { ...metadata, name: metadata.name, namespace },
        spec: spec ?? {},
      };
      if (kind === 'Device') devices.push(normalized as Device);
      else models.set(`${namespace}/${metadata.name}`, normalized as DeviceModel);
    });
  }
  return {
    devices: devices.map((device) => {
      const ns = device.metadata.namespace ?? 'default';
      const ref = device.spec.deviceModelRef?.name;
      const model = ref ? models.get(`${ns}/${ref}`) : undefined;
      if (!model) {
        problems.push(
          ref
            ? `Device ${ns}/${device.metadata.name}: DeviceModel ${ns}/${ref} is not in the given files`
            : `Device ${ns}/${device.metadata.name}: spec.deviceModelRef.name is not set`,
        );
      }
      return { device, model };
    }),
    problems,
  };
}
