/**
 * A container's environment as kubelet builds it (pkg/kubelet/kubelet_pods.go
 * `makeEnvironmentVariables`): `envFrom` sources first, in order, then `env`, which wins; `env`
 * values expand `$(VAR)` against what is defined so far; `valueFrom` reads ConfigMaps, Secrets and
 * the downward API. Command and args are expanded against the result
 * (`kubecontainer.ExpandContainerCommandAndArgs`).
 */
import { requireConfigData, type ConfigKind, type ConfigResolver } from './config-source.ts';
import { fieldRefValue, type FieldContext } from './field-ref.ts';
import { ContainerConfigError } from './runtime.ts';
import type { Container, EnvVarSource, Pod } from './pod-types.ts';

/**
 * `$(VAR)` expansion exactly as Kubernetes' fork of it (third_party/forked/golang/expansion):
 * `$(NAME)` becomes NAME's value when defined and stays as written when not; `$$` is a literal `$`;
 * an unclosed `$(` and any other `$x` stay as written.
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      out += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close === -1) {
        out += '$(';
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        out += lookup(name) ?? `$(${name})`;
        cursor = close;
      }
    } else {
      out += '$' + next;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

export interface EnvContext {
  resolveConfig: ConfigResolver;
  fields: FieldContext;
  /** Defined before everything else, overridable by the spec (PATH, HOSTNAME, mount paths). */
  base: Map<string, string>;
}

/** The environment of `container` in `pod`; a missing non-optional reference is a CreateContainerConfigError. */
export function containerEnv(pod: Pod, container: Container, ctx: EnvContext): Map<string, string> {
  const namespace = pod.metadata.namespace ?? 'default';
  const env = new Map(ctx.base);
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) continue;
    const kind: ConfigKind = source.configMapRef ? 'configmap' : 'secret';
    const data = requireConfigData(ctx.resolveConfig, kind, namespace, ref.name, ref.optional);
    for (const [key, value] of data ?? []) {
      const name = (source.prefix ?? '') + key;
      // A key that no process environment can hold is skipped, as kubelet skips invalid names.
      if (name === '' || name.includes('=') || name.includes('\0')) continue;
      env.set(name, value.toString('utf8'));
    }
  }
  for (const variable of container.env ?? []) {
    if (typeof variable?.name !== 'string' || variable.name === '') {
      throw new ContainerConfigError(`container "${container.name}" has an env entry without a name`);
    }
    const value =
      variable.valueFrom === undefined
        ? expandVars(variable.value ?? '', (name) => env.get(name))
        : valueFrom(pod, variable.name, variable.valueFrom, namespace, ctx);
    if (value !== undefined) env.set(variable.name, value);
  }
  return env;
}

/** `env[].valueFrom`; `undefined` for an optional reference that does not resolve (the variable is left out). */
function valueFrom(
  pod: Pod,
  variable: string,
  source: EnvVarSource,
  namespace: string,
  ctx: EnvContext,
): string | undefined {
  if (source.fieldRef) return fieldRefValue(pod, source.fieldRef.fieldPath, ctx.fields);
  const ref = source.configMapKeyRef ?? source.secretKeyRef;
  if (!ref) {
    const what = Object.keys(source).join(', ') || 'nothing';
    throw new ContainerConfigError(
      `env ${variable}: valueFrom ${what} is not supported by this runtime; use value, configMapKeyRef, secretKeyRef or fieldRef`,
    );
  }
  const kind: ConfigKind = source.configMapKeyRef ? 'configmap' : 'secret';
  const data = requireConfigData(ctx.resolveConfig, kind, namespace, ref.name, ref.optional);
  if (data === undefined) return undefined;
  const value = data.get(ref.key);
  if (value !== undefined) return value.toString('utf8');
  if (ref.optional === true) return undefined;
  throw new ContainerConfigError(
    `couldn't find key ${ref.key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${namespace}/${ref.name}`,
  );
}

/** The argv of a container: `command` then `args`, each expanded against its environment. */
export function containerArgv(container: Container, env: Map<string, string>): string[] {
  const lookup = (name: string): string | undefined => env.get(name);
  return [...(container.command ?? []), ...(container.args ?? [])].map((word) => expandVars(word, lookup));
}
