import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusCause } from '../status.ts';
import type { KubeObject, ResourceType } from '../types.ts';
import { builtinResourceTypes } from './builtin-resources.ts';
import {
  base64ErrorOffset,
  dnsNameErrors,
  validateBuiltin,
  validateObjectName,
} from './builtin-validation.ts';

function type(plural: string, group = ''): ResourceType {
  const t = builtinResourceTypes().find((x) => x.plural === plural && x.group === group);
  assert.ok(t);
  return t;
}

/** `field: message`, as kubectl prints each cause of a 422. */
const lines = (causes: StatusCause[]): string[] => causes.map((c) => `${c.field}: ${c.message}`);

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

test("object names get kube's RFC 1123 messages, word for word", () => {
  assert.deepEqual(lines(validateObjectName('Foo', 'subdomain')), [
    `metadata.name: Invalid value: "Foo": ${SUBDOMAIN_MSG}`,
  ]);
  assert.deepEqual(lines(validateObjectName('a.b', 'label')), [
    `metadata.name: Invalid value: "a.b": ${LABEL_MSG}`,
  ]);
  assert.deepEqual(lines(validateObjectName('', 'subdomain')), [
    'metadata.name: Required value: name or generateName is required',
  ]);
  assert.deepEqual(validateObjectName('edge-1.example.com', 'subdomain'), []);
  assert.deepEqual(dnsNameErrors('x'.repeat(64), 'label'), ['must be no more than 63 characters']);
});

test('namespaces need a DNS label, services a DNS-1035 label, other kinds a subdomain', () => {
  assert.deepEqual(lines(validateBuiltin(type('namespaces'), { metadata: { name: 'team.a' } })), [
    `metadata.name: Invalid value: "team.a": ${LABEL_MSG}`,
  ]);
  assert.deepEqual(
    lines(validateBuiltin(type('services'), { metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } })),
    [`metadata.name: Invalid value: "1web": ${DNS1035_MSG}`],
  );
  assert.deepEqual(validateBuiltin(type('nodes'), { metadata: { name: 'edge-1.lab' } }), []);
  assert.deepEqual(
    validateBuiltin(type('leases', 'coordination.k8s.io'), { metadata: { name: 'edge-1' }, spec: {} }),
    [],
  );
});

test('a missing name is left to the caller, so it is reported once', () => {
  assert.deepEqual(validateBuiltin(type('configmaps'), { metadata: {} }), []);
});

test('labels are checked as qualified names and label values', () => {
  const causes = lines(
    validateBuiltin(type('configmaps'), {
      metadata: { name: 'c', labels: { 'bad key': 'ok', app: 'bad value' } },
    }),
  );
  assert.equal(causes.length, 2);
  assert.match(
    causes[0] ?? '',
    /^metadata\.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/,
  );
  assert.match(
    causes[1] ?? '',
    /^metadata\.labels: Invalid value: "bad value": a valid label must be an empty string or consist of/,
  );
});

test('pods need containers, each with a unique DNS-label name and an image', () => {
  assert.deepEqual(lines(validateBuiltin(type('pods'), { metadata: { name: 'p' }, spec: {} })), [
    'spec.containers: Required value',
  ]);
  const pod: KubeObject = {
    metadata: { name: 'p' },
    spec: {
      initContainers: [{ name: 'init', image: 'busybox' }],
      containers: [
        { name: 'web', image: 'nginx' },
        { name: 'Web_2' },
        {
          name: 'web',
          image: 'nginx',
          ports: [{ containerPort: 70000 }, { containerPort: 80, protocol: 'HTTP' }],
        },
        { image: 'x' },
        { name: 'init', image: 'x' },
      ],
      restartPolicy: 'Sometimes',
    },
  };
  assert.deepEqual(lines(validateBuiltin(type('pods'), pod)), [
    `spec.containers[1].name: Invalid value: "Web_2": ${LABEL_MSG}`,
    'spec.containers[1].image: Required value',
    'spec.containers[2].name: Duplicate value: "web"',
    'spec.containers[2].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.containers[2].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    'spec.containers[3].name: Required value',
    'spec.containers[4].name: Duplicate value: "init"',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
  ]);
});

test('configmap keys must be valid config keys and may not repeat in binaryData', () => {
  const causes = lines(
    validateBuiltin(type('configmaps'), {
      metadata: { name: 'c' },
      data: { 'a b': '1', ok: '2', dup: '3' },
      binaryData: { dup: 'MQ==' },
    }),
  );
  assert.deepEqual(causes, [
    `data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    'data[dup]: Invalid value: "dup": duplicate of key present in binaryData',
  ]);
  assert.deepEqual(
    lines(validateBuiltin(type('configmaps'), { metadata: { name: 'c' }, data: { '..x': '1' } })),
    [`data[..x]: Invalid value: "..x": must not start with '..'`],
  );
});

test('secret data values must be base64; the error names the byte as Go does, without echoing the value', () => {
  assert.deepEqual(
    validateBuiltin(type('secrets'), { metadata: { name: 's' }, data: { token: 'c2VjcmV0' } }),
    [],
  );
  assert.deepEqual(
    lines(validateBuiltin(type('secrets'), { metadata: { name: 's' }, data: { token: 'not base64!' } })),
    ['data[token]: illegal base64 data at input byte 3'],
  );
  assert.equal(base64ErrorOffset('YWJj'), undefined);
  assert.equal(base64ErrorOffset('YWI='), undefined);
  assert.equal(base64ErrorOffset('YQ=='), undefined);
  assert.equal(base64ErrorOffset('YWJ\nj'), undefined);
  assert.equal(base64ErrorOffset('YWJjZ'), 4); // a short final quantum reports where it starts
  assert.equal(base64ErrorOffset('YQ='), 3); // "xx=" needs its second '='
  assert.equal(base64ErrorOffset('Y==='), 1);
  assert.equal(base64ErrorOffset('YQ==YQ=='), 4); // data after the padding
});

test('service ports: required, in range, named when several, unique names, known protocols', () => {
  assert.deepEqual(lines(validateBuiltin(type('services'), { metadata: { name: 'web' }, spec: {} })), [
    'spec.ports: Required value',
  ]);
  assert.deepEqual(
    validateBuiltin(type('services'), { metadata: { name: 'web' }, spec: { clusterIP: 'None' } }),
    [],
  );
  assert.deepEqual(
    validateBuiltin(type('services'), {
      metadata: { name: 'db' },
      spec: { type: 'ExternalName', externalName: 'db.example.com' },
    }),
    [],
  );
  const svc: KubeObject = {
    metadata: { name: 'web' },
    spec: {
      type: 'Magic',
      ports: [
        { name: 'http', port: 0, targetPort: 'http-alt-too-long-name' },
        { port: 443, protocol: 'TLS', targetPort: 70000 },
        { name: 'http', port: 8080 },
      ],
    },
  };
  assert.deepEqual(lines(validateBuiltin(type('services'), svc)), [
    'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[0].targetPort: Invalid value: "http-alt-too-long-name": must be no more than 15 characters',
    'spec.ports[1].name: Required value',
    'spec.ports[1].protocol: Unsupported value: "TLS": supported values: "SCTP", "TCP", "UDP"',
    'spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.ports[2].name: Duplicate value: "http"',
  ]);
});

test('deployments need a selector that matches the template labels and a valid pod template', () => {
  const deploy = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'web' }, spec });
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'nginx', image: 'nginx' }] },
  };
  assert.deepEqual(
    validateBuiltin(
      type('deployments', 'apps'),
      deploy({ selector: { matchLabels: { app: 'web' } }, template }),
    ),
    [],
  );
  assert.deepEqual(lines(validateBuiltin(type('deployments', 'apps'), deploy({ template }))), [
    'spec.selector: Required value',
  ]);
  assert.deepEqual(
    lines(
      validateBuiltin(
        type('deployments', 'apps'),
        deploy({ selector: { matchLabels: { app: 'api' } }, template }),
      ),
    ),
    [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ],
  );
  assert.deepEqual(
    lines(
      validateBuiltin(
        type('deployments', 'apps'),
        deploy({
          replicas: -1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'nginx' }] },
          },
        }),
      ),
    ),
    [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.template.spec.containers[0].image: Required value',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ],
  );
  assert.deepEqual(lines(validateBuiltin(type('daemonsets', 'apps'), deploy({ selector: {}, template }))), [
    'spec.selector: Invalid value: {}: empty selector is invalid for daemonset',
  ]);
});

test("causes carry kube's cause types as reason", () => {
  const causes = validateBuiltin(type('pods'), { metadata: { name: 'P' }, spec: {} });
  assert.deepEqual(
    causes.map((c) => c.reason),
    ['FieldValueInvalid', 'FieldValueRequired'],
  );
});
