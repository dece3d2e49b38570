import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerArgv, containerEnv, expandVars, type EnvContext } from './env.ts';
import { ContainerConfigError } from './runtime.ts';
import type { ConfigResolver } from './config-source.ts';
import type { Container, Pod } from './pod-types.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const store: Record<string, object> = {
  'configmap/ns/app': { data: { MODE: 'fast', LEVEL: 'debug' } },
  'secret/ns/creds': { data: { PASSWORD: b64('s3cret'), 'bad=key': b64('x') } },
};
const resolveConfig: ConfigResolver = (kind, namespace, name) => store[`${kind}/${namespace}/${name}`];

const pod = (container: Partial<Container>): Pod => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'u-1', labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', ...container }], nodeName: 'edge-1' },
});

const ctx: EnvContext = {
  resolveConfig,
  fields: { nodeName: 'edge-1', podIP: '10.0.0.5', hostIP: '10.0.0.5' },
  base: new Map([['PATH', '/bin']]),
};

const envOf = (container: Partial<Container>): Record<string, string> => {
  const p = pod(container);
  return Object.fromEntries(containerEnv(p, p.spec.containers[0]!, ctx));
};

test('$(VAR) expands as Kubernetes expands it', () => {
  const vars = new Map([
    ['A', 'x'],
    ['EMPTY', ''],
  ]);
  const lookup = (n: string): string | undefined => vars.get(n);
  const cases: [string, string][] = [
    ['$(A)', 'x'],
    ['pre-$(A)-post', 'pre-x-post'],
    ['$(A)$(A)', 'xx'],
    ['$(EMPTY)!', '!'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$', '$'],
    ['$(A', '$(A'],
    ['$A', '$A'],
    ['a$', 'a$'],
    ['$()', '$()'],
  ];
  for (const [input, want] of cases) assert.equal(expandVars(input, lookup), want, input);
});

test('envFrom comes first, with its prefix; env wins and expands against what is defined so far', () => {
  const env = envOf({
    envFrom: [{ configMapRef: { name: 'app' } }, { secretRef: { name: 'creds' }, prefix: 'DB_' }],
    env: [
      { name: 'MODE', value: 'slow' },
      { name: 'URL', value: 'db://$(DB_PASSWORD)@$(HOST)/$(LATER)' },
      { name: 'HOST', value: 'h' },
      { name: 'LATER', value: 'l' },
    ],
  });
  assert.deepEqual(env, {
    PATH: '/bin',
    MODE: 'slow',
    LEVEL: 'debug',
    DB_PASSWORD: 's3cret',
    URL: 'db://s3cret@$(HOST)/$(LATER)',
    HOST: 'h',
    LATER: 'l',
  });
});

test('valueFrom reads ConfigMap and Secret keys and the downward API', () => {
  const env = envOf({
    env: [
      { name: 'M', valueFrom: { configMapKeyRef: { name: 'app', key: 'MODE' } } },
      { name: 'P', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
      { name: 'GONE', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
      { name: 'NOKEY', valueFrom: { configMapKeyRef: { name: 'app', key: 'nokey', optional: true } } },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
    ],
  });
  assert.deepEqual(env, {
    PATH: '/bin',
    M: 'fast',
    P: 's3cret',
    NAME: 'web',
    NS: 'ns',
    UID: 'u-1',
    NODE: 'edge-1',
    IP: '10.0.0.5',
    HOST_IP: '10.0.0.5',
    APP: 'web',
  });
});

test("missing references that are not optional fail with kubelet's messages", () => {
  const fails = (container: Partial<Container>, message: RegExp): void =>
    assert.throws(
      () => envOf(container),
      (err: unknown) => err instanceof ContainerConfigError && message.test(err.message),
    );
  fails({ envFrom: [{ configMapRef: { name: 'nope' } }] }, /^configmap "nope" not found$/);
  fails(
    { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] },
    /^secret "nope" not found$/,
  );
  fails(
    { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'app', key: 'k' } } }] },
    /^couldn't find key k in ConfigMap ns\/app$/,
  );
  fails(
    { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] },
    /^couldn't find key k in Secret ns\/creds$/,
  );
  fails(
    { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] },
    /unsupported fieldRef/,
  );
  fails(
    { env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }] },
    /resourceFieldRef is not supported/,
  );
});

test('a resolver that throws or returns garbage is a config error naming the object', () => {
  const p = pod({ envFrom: [{ configMapRef: { name: 'x' } }] });
  const broken: EnvContext = {
    ...ctx,
    resolveConfig: () => {
      throw new Error('database is locked');
    },
  };
  assert.throws(
    () => containerEnv(p, p.spec.containers[0]!, broken),
    /cannot read configmap "ns\/x": database is locked/,
  );
  const garbage: EnvContext = { ...ctx, resolveConfig: () => ({ data: { k: 1 } }) };
  assert.throws(
    () => containerEnv(p, p.spec.containers[0]!, garbage),
    /configmap "ns\/x" is malformed: data.k/,
  );
});

test('command and args expand against the environment', () => {
  const env = new Map([['GREETING', 'hello']]);
  assert.deepEqual(
    containerArgv({ name: 'c', command: ['echo', '$(GREETING)'], args: ['$(NOPE)', '$$(GREETING)'] }, env),
    ['echo', 'hello', '$(NOPE)', '$(GREETING)'],
  );
});
