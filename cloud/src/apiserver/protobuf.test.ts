import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '@edgeproof/core';
import { loadOrCreateServingPki } from '../pki/pki.ts';
import { bearerTokenMatches } from './auth.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { decodeKubernetesProtobuf } from './protobuf.ts';
import { ApiError } from './status.ts';
import type { KubeObject } from './types.ts';

interface Captured {
  method: string;
  path: string;
  contentType: string | undefined;
  body: Buffer;
  decoded?: KubeObject;
  error?: ApiError;
}

const TOKEN = 'a'.repeat(64);
let dir: string;
let kubeconfig: string;
let server: Server;
const captured: Captured[] = [];

/**
 * A recording API server: answers the dispatcher's /version (kubectl-contract.md §0), decodes each
 * POST body with decodeKubernetesProtobuf and answers 201 with the decoded object as JSON, or with
 * the Status of the ApiError it threw. Minimal legacy discovery is served in case a command asks.
 */
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeproof-protobuf-'));
  const pki = await loadOrCreateServingPki(join(dir, 'pki'), { clock: new FakeClock(Date.now()) });
  server = createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const entry: Captured = {
        method: req.method ?? '',
        path,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks),
      };
      captured.push(entry);
      const send = (code: number, body: unknown): void => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (!bearerTokenMatches(req.headers.authorization, TOKEN))
        return send(401, { kind: 'Status', code: 401 });
      const route = path.split('?')[0];
      if (route === '/version') return send(200, { major: '1', minor: '32', gitVersion: 'v1.32.4' });
      if (req.method === 'POST') {
        try {
          const obj = decodeKubernetesProtobuf(entry.body);
          entry.decoded = obj;
          const namespace = /\/namespaces\/([^/]+)\//.exec(route ?? '')?.[1];
          return send(201, {
            ...obj,
            metadata: {
              ...obj.metadata,
              ...(namespace ? { namespace } : {}),
              uid: 'u-1',
              resourceVersion: '1',
            },
          });
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          entry.error = err;
          return send(err.code, err.toStatus());
        }
      }
      const discovery: Record<string, unknown> = {
        '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
        '/apis': {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [
            {
              name: 'apps',
              versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
              preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
            },
          ],
        },
        '/api/v1': {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [
            {
              name: 'namespaces',
              singularName: 'namespace',
              namespaced: false,
              kind: 'Namespace',
              verbs: ['create', 'get', 'list'],
            },
            {
              name: 'configmaps',
              singularName: 'configmap',
              namespaced: true,
              kind: 'ConfigMap',
              verbs: ['create', 'get', 'list'],
            },
            {
              name: 'secrets',
              singularName: 'secret',
              namespaced: true,
              kind: 'Secret',
              verbs: ['create', 'get', 'list'],
            },
            {
              name: 'serviceaccounts',
              singularName: 'serviceaccount',
              namespaced: true,
              kind: 'ServiceAccount',
              verbs: ['create', 'get', 'list'],
            },
          ],
        },
        '/apis/apps/v1': {
          kind: 'APIResourceList',
          groupVersion: 'apps/v1',
          resources: [
            {
              name: 'deployments',
              singularName: 'deployment',
              namespaced: true,
              kind: 'Deployment',
              verbs: ['create', 'get', 'list'],
            },
          ],
        },
      };
      const doc = route === undefined ? undefined : discovery[route];
      if (req.method === 'GET' && doc) return send(200, doc);
      return send(404, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    renderKubeconfig({ server: `https://127.0.0.1:${port}`, caPem: pki.caCertPem, token: TOKEN }),
  );
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Drops `null`s, as the JSON form of an unset metav1.Time (`creationTimestamp: null`) carries no data. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
}

/**
 * Runs a real `kubectl create …`, returns what the server decoded, and checks it against the JSON
 * kubectl itself renders for the same command with `--dry-run=client -o json` (Go's encoding of the
 * very object it marshals to protobuf).
 */
async function createAndDecode(
  args: string[],
  printed: RegExp,
): Promise<{ decoded: KubeObject; post: Captured }> {
  captured.length = 0;
  const out = await kubectl(args);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, printed);
  const post = captured.find((c) => c.method === 'POST');
  assert.ok(post, `no POST among ${captured.map((c) => `${c.method} ${c.path}`).join(', ')}`);
  assert.equal(post.contentType, 'application/vnd.kubernetes.protobuf');
  assert.ok(post.body.subarray(0, 4).equals(Buffer.from('k8s\0', 'latin1')));
  assert.ok(post.decoded, post.error?.message);

  const dashes = args.includes('--') ? args.indexOf('--') : args.length;
  const dry = await kubectl([
    ...args.slice(0, dashes),
    '--dry-run=client',
    '-o',
    'json',
    ...args.slice(dashes),
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  const expected = withoutNulls(JSON.parse(dry.stdout)) as KubeObject;
  // kubectl puts metadata.namespace in the body only with an explicit -n; the dry-run output has it always.
  const { namespace: _ns, ...expectedMeta } = expected.metadata;
  assert.deepEqual(
    post.decoded,
    post.decoded.metadata.namespace === undefined ? { ...expected, metadata: expectedMeta } : expected,
  );
  return { decoded: post.decoded, post };
}

describe('decoding the protobuf bodies real kubectl 1.32 sends', () => {
  test('create namespace', async () => {
    const { decoded, post } = await createAndDecode(
      ['create', 'namespace', 'foo'],
      /^namespace\/foo created/,
    );
    assert.match(post.path, /^\/api\/v1\/namespaces\?fieldManager=kubectl-create&fieldValidation=Strict$/);
    assert.deepEqual(decoded, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'foo' },
      spec: {},
      status: {},
    });
  });

  test('create namespace --save-config carries the last-applied annotation', async () => {
    const { decoded } = await createAndDecode(
      ['create', 'namespace', 'foo2', '--save-config'],
      /namespace\/foo2 created/,
    );
    const applied = decoded.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '';
    assert.equal((JSON.parse(applied) as KubeObject).metadata.name, 'foo2');
  });

  test('create configmap --from-literal and --from-file with binary data', async () => {
    const { decoded, post } = await createAndDecode(
      ['create', 'configmap', 'cm1', '-n', 'team-a', '--from-literal=a=b', '--from-literal=c=d'],
      /^configmap\/cm1 created/,
    );
    assert.match(post.path, /^\/api\/v1\/namespaces\/team-a\/configmaps\?/);
    assert.deepEqual(decoded, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm1', namespace: 'team-a' },
      data: { a: 'b', c: 'd' },
    });

    const bin = join(dir, 'blob.bin');
    writeFileSync(bin, Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    const withFile = await createAndDecode(
      ['create', 'configmap', 'cm2', `--from-file=blob=${bin}`],
      /configmap\/cm2 created/,
    );
    assert.deepEqual(withFile.decoded.binaryData, {
      blob: Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64'),
    });
  });

  test('create secret generic: data as base64, and the type', async () => {
    const { decoded } = await createAndDecode(
      ['create', 'secret', 'generic', 's1', '--from-literal=k=v'],
      /^secret\/s1 created/,
    );
    assert.deepEqual(decoded, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's1' },
      data: { k: 'dg==' },
    });
    const typed = await createAndDecode(
      [
        'create',
        'secret',
        'generic',
        's2',
        '--type=kubernetes.io/basic-auth',
        '--from-literal=username=u',
        '--from-literal=password=p',
      ],
      /secret\/s2 created/,
    );
    assert.equal(typed.decoded.type, 'kubernetes.io/basic-auth');
    assert.deepEqual(typed.decoded.data, { username: 'dQ==', password: 'cA==' });
  });

  test('create deployment --image --replicas --port', async () => {
    const { decoded, post } = await createAndDecode(
      ['create', 'deployment', 'd1', '--image=nginx:1.27', '--replicas=2', '--port=80'],
      /^deployment\.apps\/d1 created/,
    );
    assert.match(post.path, /^\/apis\/apps\/v1\/namespaces\/default\/deployments\?/);
    assert.deepEqual(decoded, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd1', labels: { app: 'd1' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'd1' } },
        template: {
          metadata: { labels: { app: 'd1' } },
          spec: {
            containers: [
              { name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {} },
            ],
          },
        },
        strategy: {},
      },
      status: {},
    });
  });

  test('create deployment keeps an explicit replicas: 0 and the command', async () => {
    const { decoded } = await createAndDecode(
      ['create', 'deployment', 'd0', '--image=busybox:1.36', '--replicas=0', '--', 'sleep', '3600'],
      /deployment\.apps\/d0 created/,
    );
    const spec = decoded.spec as {
      replicas?: number;
      template: { spec: { containers: { command?: string[] }[] } };
    };
    assert.equal(spec.replicas, 0);
    assert.deepEqual(spec.template.spec.containers[0]?.command, ['sleep', '3600']);
  });

  test('create serviceaccount', async () => {
    const { decoded } = await createAndDecode(
      ['create', 'serviceaccount', 'sa1'],
      /^serviceaccount\/sa1 created/,
    );
    assert.deepEqual(decoded, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1' } });
  });

  test('a kind we do not decode gets a 415 that kubectl prints', async () => {
    captured.length = 0;
    const out = await kubectl(['create', 'service', 'clusterip', 'svc1', '--tcp=80:8080']);
    assert.notEqual(out.code, 0);
    const post = captured.find((c) => c.method === 'POST');
    assert.equal(post?.contentType, 'application/vnd.kubernetes.protobuf');
    assert.equal(post?.error?.code, 415);
    assert.match(
      out.stderr,
      /protobuf is supported only for kinds Namespace, ConfigMap, Secret, ServiceAccount \(v1\) and Deployment \(apps\/v1\); send JSON/,
    );
  });
});

// --- Hand-made bodies for what kubectl create never sends. Field numbers are those of the
// Kubernetes .proto files (see protobuf.ts), written out again here independently.

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}
const bytesField = (no: number, body: Buffer | string): Buffer => {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
};
const varintField = (no: number, n: number): Buffer => Buffer.concat([varint(no << 3), varint(n)]);
const mapEntry = (no: number, key: string, value: string): Buffer =>
  bytesField(no, Buffer.concat([bytesField(1, key), bytesField(2, value)]));
function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytesField(1, typeMeta), bytesField(2, raw)]);
}

describe('decodeKubernetesProtobuf edge cases', () => {
  test('decodes every ObjectMeta field', () => {
    const created = Date.UTC(2026, 0, 2, 3, 4, 5) / 1000;
    const meta = Buffer.concat([
      bytesField(1, 'n1'),
      bytesField(2, 'gen-'),
      bytesField(3, 'ns1'),
      bytesField(5, 'uid-1'),
      bytesField(6, '42'),
      varintField(7, 3),
      bytesField(8, varintField(1, created)),
      bytesField(9, Buffer.alloc(0)), // zero deletionTimestamp: omitted
      varintField(10, 0), // *int64 deletionGracePeriodSeconds = 0: kept
      mapEntry(11, 'app', 'x'),
      mapEntry(12, 'note', 'hello'),
      bytesField(
        13,
        Buffer.concat([
          bytesField(5, 'apps/v1'),
          bytesField(1, 'ReplicaSet'),
          bytesField(3, 'rs1'),
          bytesField(4, 'uid-rs'),
          varintField(6, 1),
          varintField(7, 0),
        ]),
      ),
      bytesField(14, 'example.com/cleanup'),
      bytesField(
        17,
        Buffer.concat([
          bytesField(1, 'kubectl'),
          bytesField(2, 'Update'),
          bytesField(3, 'v1'),
          bytesField(4, varintField(1, created)),
          bytesField(6, 'FieldsV1'),
          bytesField(7, bytesField(1, '{"f:data":{}}')),
        ]),
      ),
    ]);
    const obj = decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', bytesField(1, meta)));
    assert.deepEqual(obj, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'n1',
        generateName: 'gen-',
        namespace: 'ns1',
        uid: 'uid-1',
        resourceVersion: '42',
        generation: 3,
        creationTimestamp: '2026-01-02T03:04:05Z',
        deletionGracePeriodSeconds: 0,
        labels: { app: 'x' },
        annotations: { note: 'hello' },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: 'rs1',
            uid: 'uid-rs',
            controller: true,
            blockOwnerDeletion: false,
          },
        ],
        finalizers: ['example.com/cleanup'],
        managedFields: [
          {
            manager: 'kubectl',
            operation: 'Update',
            apiVersion: 'v1',
            time: '2026-01-02T03:04:05Z',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:data': {} },
          },
        ],
      },
    });
  });

  test('decodes env, strategy with IntOrString and resource quantities', () => {
    const container = Buffer.concat([
      bytesField(1, 'c'),
      bytesField(2, 'img'),
      bytesField(4, '--flag'),
      bytesField(7, Buffer.concat([bytesField(1, 'A'), bytesField(2, '1')])),
      bytesField(
        7,
        Buffer.concat([
          bytesField(1, 'B'),
          bytesField(
            3,
            bytesField(4, Buffer.concat([bytesField(1, bytesField(1, 'sec')), bytesField(2, 'key')])),
          ),
        ]),
      ),
      bytesField(
        8,
        Buffer.concat([
          bytesField(1, Buffer.concat([bytesField(1, 'cpu'), bytesField(2, bytesField(1, '500m'))])),
        ]),
      ),
    ]);
    const spec = Buffer.concat([
      bytesField(3, bytesField(2, bytesField(2, container))),
      bytesField(
        4,
        Buffer.concat([
          bytesField(1, 'RollingUpdate'),
          bytesField(
            2,
            Buffer.concat([
              bytesField(1, varintField(2, 1)),
              bytesField(2, Buffer.concat([varintField(1, 1), bytesField(3, '25%')])),
            ]),
          ),
        ]),
      ),
    ]);
    const obj = decodeKubernetesProtobuf(
      envelope(
        'apps/v1',
        'Deployment',
        Buffer.concat([bytesField(1, bytesField(1, 'd')), bytesField(2, spec)]),
      ),
    );
    assert.deepEqual(obj.spec, {
      template: {
        spec: {
          containers: [
            {
              name: 'c',
              image: 'img',
              args: ['--flag'],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', valueFrom: { secretKeyRef: { name: 'sec', key: 'key' } } },
              ],
              resources: { limits: { cpu: '500m' } },
            },
          ],
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
    });
  });

  test('a field this decoder lacks is ignored when zero and refused with 415 when set', () => {
    const zero = decodeKubernetesProtobuf(
      envelope('v1', 'Namespace', Buffer.concat([bytesField(1, bytesField(1, 'a')), varintField(99, 0)])),
    );
    assert.deepEqual(zero.metadata, { name: 'a' });
    assert.throws(
      () =>
        decodeKubernetesProtobuf(
          envelope(
            'v1',
            'Namespace',
            bytesField(1, Buffer.concat([bytesField(1, 'a'), bytesField(99, 'x')])),
          ),
        ),
      (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 415);
        assert.match(
          err.message,
          /Namespace field metadata\.#99 is set, but edgeproof does not decode it from protobuf; send JSON/,
        );
        return true;
      },
    );
    // Container.volumeMounts (9) is not in the reduced schema.
    const pod = bytesField(
      2,
      bytesField(2, Buffer.concat([bytesField(1, 'c'), bytesField(9, bytesField(1, 'v'))])),
    );
    assert.throws(
      () => decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', bytesField(2, bytesField(3, pod)))),
      /field spec\.template\.spec\.containers\.#9 is set/,
    );
  });

  test('malformed bodies are 400s, unknown kinds and encodings 415s', () => {
    const expectCode = (body: Buffer, code: number, pattern: RegExp): void =>
      assert.throws(
        () => decodeKubernetesProtobuf(body),
        (err: unknown) => err instanceof ApiError && err.code === code && pattern.test(err.message),
      );
    expectCode(
      Buffer.from('{"kind":"Namespace"}'),
      400,
      /does not start with the Kubernetes "k8s\\0" prefix/,
    );
    expectCode(Buffer.from('k8s\0\x0a\xff', 'latin1'), 400, /not a valid runtime.Unknown envelope/);
    expectCode(
      Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytesField(2, 'x')]),
      400,
      /does not name its apiVersion and kind/,
    );
    expectCode(
      envelope('v1', 'Namespace', Buffer.from([0x0a, 0x05, 0x0a])),
      400,
      /protobuf v1 Namespace is malformed/,
    );
    expectCode(envelope('v1', 'Pod', Buffer.alloc(0)), 415, /v1 Pod: protobuf is supported only for kinds/);
    expectCode(envelope('apps/v1', 'Namespace', Buffer.alloc(0)), 415, /supported only for kinds/);
    const gzipped = Buffer.concat([envelope('v1', 'Namespace', Buffer.alloc(0)), bytesField(3, 'gzip')]);
    expectCode(gzipped, 415, /contentEncoding "gzip" is not supported/);
  });
});
