import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mountEnvName, planContainer, type PlanContext } from './container-plan.ts';
import { ContainerConfigError } from './runtime.ts';
import type { Container, Pod } from './pod-types.ts';

const ctx: PlanContext = {
  podDir: '/var/lib/edged/pods/u1',
  baseEnv: { PATH: '/usr/bin:/bin' },
  resolveConfig: (kind, _ns, name) =>
    kind === 'configmap' && name === 'cfg' ? { data: { DIR: 'conf' } } : undefined,
  fields: { nodeName: 'edge-1', podIP: '192.168.1.7', hostIP: '192.168.1.7' },
};

const pod = (container: Partial<Container>): Pod => ({
  metadata: { name: 'web', namespace: 'default', uid: 'u1' },
  spec: {
    containers: [{ name: 'app', image: 'nginx:1.27', ...container }],
    volumes: [
      { name: 'app-config', configMap: { name: 'cfg' } },
      { name: 'data', hostPath: { path: '/srv/data' } },
    ],
  },
});
const plan = (container: Partial<Container>) => {
  const p = pod(container);
  return planContainer(p, p.spec.containers[0]!, ctx);
};

test('a container runs command + args, with mounts exported as EDGEPROOF_MOUNT_<VOLUME>', () => {
  const result = plan({
    command: ['cat'],
    args: ['$(EDGEPROOF_MOUNT_APP_CONFIG)/app.conf', '$(CONF)'],
    envFrom: [{ configMapRef: { name: 'cfg' } }],
    env: [{ name: 'CONF', value: '$(EDGEPROOF_MOUNT_DATA)/$(DIR)' }],
    volumeMounts: [
      { name: 'app-config', mountPath: '/etc/app' },
      { name: 'data', mountPath: '/data', subPath: 'web' },
    ],
    livenessProbe: { tcpSocket: { port: 80 } },
  });
  assert.deepEqual(result.argv, [
    'cat',
    '/var/lib/edged/pods/u1/volumes/app-config/app.conf',
    '/srv/data/web/conf',
  ]);
  assert.deepEqual(result.env, {
    PATH: '/usr/bin:/bin',
    HOSTNAME: 'web',
    EDGEPROOF_MOUNT_APP_CONFIG: '/var/lib/edged/pods/u1/volumes/app-config',
    EDGEPROOF_MOUNT_DATA: '/srv/data/web',
    DIR: 'conf',
    CONF: '/srv/data/web/conf',
  });
  assert.equal(result.cwd, '/var/lib/edged/pods/u1');
  assert.deepEqual(result.mounts, [
    { mountPath: '/etc/app', hostPath: '/var/lib/edged/pods/u1/volumes/app-config' },
    { mountPath: '/data', hostPath: '/srv/data/web' },
  ]);
  assert.deepEqual(result.probes.liveness?.action, { type: 'tcpSocket', host: '192.168.1.7', port: 80 });
  assert.equal(mountEnvName('kube-api-access-x2b'), 'EDGEPROOF_MOUNT_KUBE_API_ACCESS_X2B');
});

test('with no command there is nothing to run, and the error says what to set', () => {
  assert.throws(
    () => plan({ args: ['-g', 'daemon off;'] }),
    (err: unknown) =>
      err instanceof ContainerConfigError &&
      err.reason === 'CreateContainerConfigError' &&
      /container "app" has no command: .*image "nginx:1.27", which is never pulled; set spec.containers\[\].command/.test(
        err.message,
      ),
  );
});

test('bad mounts and working folders are refused before anything starts', () => {
  assert.throws(
    () => plan({ command: ['x'], volumeMounts: [{ name: 'nope', mountPath: '/x' }] }),
    /cannot find volume "nope" to mount into container "app"/,
  );
  assert.throws(
    () => plan({ command: ['x'], volumeMounts: [{ name: 'data', mountPath: '/x', subPath: '../etc' }] }),
    /subPath "..\/etc" must be relative/,
  );
  assert.throws(
    () => plan({ command: ['x'], workingDir: 'relative' }),
    /workingDir "relative" must be an absolute path/,
  );
  assert.equal(plan({ command: ['x'], workingDir: '/tmp' }).cwd, '/tmp');
});
