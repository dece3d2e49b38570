import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdtempSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerConfigError } from './runtime.ts';
import { linkMount, setUpVolumes, volumeHostPath, type VolumeContext } from './volumes.ts';
import type { Pod, Volume } from './pod-types.ts';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'edged-volumes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const store: Record<string, object> = {
  'configmap/ns/cfg': {
    data: { 'app.conf': 'port=80\n', other: 'x' },
    binaryData: { 'logo.bin': b64('\x00\x01') },
  },
  'secret/ns/tls': { data: { 'tls.key': b64('KEY'), 'tls.crt': b64('CRT') } },
};

function context(podDir: string, warnings: string[] = []): VolumeContext {
  return {
    podDir,
    resolveConfig: (kind, ns, name) => store[`${kind}/${ns}/${name}`],
    fields: { nodeName: 'n', podIP: '1.2.3.4', hostIP: '1.2.3.4' },
    onWarning: (m) => warnings.push(m),
  };
}

const pod = (volumes: Volume[]): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { b: '2', a: '1' } },
  spec: { containers: [{ name: 'c' }], volumes },
});

const mode = (path: string): number => statSync(path).mode & 0o777;

test('configMap and secret volumes hold their keys as files, with modes', async (t) => {
  const podDir = tmp(t);
  await setUpVolumes(
    pod([
      { name: 'all', configMap: { name: 'cfg' } },
      {
        name: 'some',
        configMap: {
          name: 'cfg',
          items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }],
          defaultMode: 0o640,
        },
      },
      { name: 'tls', secret: { secretName: 'tls', defaultMode: 0o400 } },
    ]),
    context(podDir),
  );
  const vol = (name: string, file: string): string => join(podDir, 'volumes', name, file);
  assert.equal(readFileSync(vol('all', 'app.conf'), 'utf8'), 'port=80\n');
  assert.deepEqual(readFileSync(vol('all', 'logo.bin')), Buffer.from([0, 1]));
  assert.equal(mode(vol('all', 'other')), 0o644);
  assert.equal(readFileSync(vol('some', 'conf/app.conf'), 'utf8'), 'port=80\n');
  assert.equal(mode(vol('some', 'conf/app.conf')), 0o600);
  assert.equal(existsSync(vol('some', 'other')), false);
  assert.equal(readFileSync(vol('tls', 'tls.key'), 'utf8'), 'KEY');
  assert.equal(mode(vol('tls', 'tls.crt')), 0o400);
});

test('projected and downwardAPI volumes merge their sources; a service account token is skipped with a warning', async (t) => {
  const podDir = tmp(t);
  const warnings: string[] = [];
  await setUpVolumes(
    pod([
      {
        name: 'kube-api-access',
        projected: {
          sources: [
            { serviceAccountToken: { path: 'token' } },
            { configMap: { name: 'cfg', items: [{ key: 'other', path: 'ca.crt' }] } },
            { secret: { name: 'tls', items: [{ key: 'tls.crt', path: 'cert' }] } },
            {
              downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] },
            },
          ],
        },
      },
      {
        name: 'info',
        downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
      },
    ]),
    context(podDir, warnings),
  );
  const dir = join(podDir, 'volumes', 'kube-api-access');
  assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), 'x');
  assert.equal(readFileSync(join(dir, 'cert'), 'utf8'), 'CRT');
  assert.equal(readFileSync(join(dir, 'namespace'), 'utf8'), 'ns');
  assert.equal(existsSync(join(dir, 'token')), false);
  assert.match(warnings[0] ?? '', /serviceAccountToken token is not written/);
  assert.equal(readFileSync(join(podDir, 'volumes', 'info', 'labels'), 'utf8'), 'a="1"\nb="2"');
});

test("a missing object or key fails the mount in kubelet's words, unless optional", async (t) => {
  const podDir = tmp(t);
  const fails = async (volume: Volume, message: RegExp): Promise<void> =>
    assert.rejects(setUpVolumes(pod([volume]), context(podDir)), (err: unknown) => {
      assert.ok(err instanceof ContainerConfigError);
      assert.equal(err.reason, 'ContainerCreating');
      assert.equal(err.eventReason, 'FailedMount');
      assert.match(err.message, message);
      return true;
    });
  await fails(
    { name: 'v', configMap: { name: 'nope' } },
    /^MountVolume.SetUp failed for volume "v" : configmap "nope" not found$/,
  );
  await fails(
    { name: 'v', secret: { secretName: 'tls', items: [{ key: 'ca', path: 'ca' }] } },
    /secret references non-existent secret key: ca/,
  );
  await fails(
    { name: 'v', configMap: { name: 'cfg', items: [{ key: 'other', path: '../escape' }] } },
    /must be relative and must not contain/,
  );
  await setUpVolumes(
    pod([
      { name: 'o1', configMap: { name: 'nope', optional: true } },
      { name: 'o2', configMap: { name: 'cfg', optional: true, items: [{ key: 'missing', path: 'm' }] } },
    ]),
    context(podDir),
  );
  assert.ok(statSync(join(podDir, 'volumes', 'o1')).isDirectory());
});

test('an unknown volume type is a CreateContainerConfigError listing what is supported', async (t) => {
  const podDir = tmp(t);
  await assert.rejects(
    setUpVolumes(pod([{ name: 'data', persistentVolumeClaim: { claimName: 'pvc' } }]), context(podDir)),
    (err: unknown) =>
      err instanceof ContainerConfigError &&
      err.reason === 'CreateContainerConfigError' &&
      /volume "data" has type persistentVolumeClaim, which the process runtime cannot set up; it supports configMap, secret/.test(
        err.message,
      ),
  );
});

test('emptyDir is a folder under the pod; hostPath is checked against its type', async (t) => {
  const podDir = tmp(t);
  const host = tmp(t);
  writeFileSync(join(host, 'file'), '');
  const volumes: Volume[] = [
    { name: 'scratch', emptyDir: {} },
    { name: 'made', hostPath: { path: join(host, 'made/deep'), type: 'DirectoryOrCreate' } },
    { name: 'touched', hostPath: { path: join(host, 'touched'), type: 'FileOrCreate' } },
    { name: 'file', hostPath: { path: join(host, 'file'), type: 'File' } },
  ];
  await setUpVolumes(pod(volumes), context(podDir));
  assert.ok(statSync(join(podDir, 'volumes', 'scratch')).isDirectory());
  assert.ok(statSync(join(host, 'made/deep')).isDirectory());
  assert.ok(statSync(join(host, 'touched')).isFile());
  assert.equal(volumeHostPath(podDir, volumes[1]!), join(host, 'made/deep'));
  await assert.rejects(
    setUpVolumes(
      pod([{ name: 'h', hostPath: { path: join(host, 'file'), type: 'Directory' } }]),
      context(podDir),
    ),
    /hostPath type check failed: .*file is not a directory/,
  );
});

test('a mount is linked at its mountPath only inside the pod folder', async (t) => {
  const podDir = tmp(t);
  const target = join(podDir, 'volumes', 'v');
  mkdirSync(target, { recursive: true });
  await linkMount(podDir, join(podDir, 'rootfs/etc/config'), target);
  assert.equal(readlinkSync(join(podDir, 'rootfs/etc/config')), target);
  const outside = join(tmp(t), 'etc-config');
  await linkMount(podDir, outside, target);
  assert.equal(existsSync(outside), false);
});
