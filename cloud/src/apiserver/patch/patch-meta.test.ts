import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergesItems, patchMetaFor } from './patch-meta.ts';

test('pod containers, env, ports and volume mounts carry their Kubernetes merge keys', () => {
  const spec = patchMetaFor('', 'Pod')?.fields?.spec;
  const containers = spec?.fields?.containers;
  assert.equal(containers?.mergeKey, 'name');
  assert.ok(mergesItems(containers));
  assert.equal(containers?.items?.fields?.env?.mergeKey, 'name');
  assert.equal(containers?.items?.fields?.ports?.mergeKey, 'containerPort');
  assert.equal(containers?.items?.fields?.volumeMounts?.mergeKey, 'mountPath');
  assert.equal(spec?.fields?.initContainers?.mergeKey, 'name');
  assert.equal(spec?.fields?.ephemeralContainers?.mergeKey, 'name');
  assert.deepEqual(spec?.fields?.volumes, { strategy: 'merge,retainKeys', mergeKey: 'name' });
  assert.equal(spec?.fields?.imagePullSecrets?.mergeKey, 'name');
  assert.equal(spec?.fields?.hostAliases?.mergeKey, 'ip');
  assert.equal(spec?.fields?.tolerations, undefined);
});

test('pod status merges conditions by type but replaces container statuses', () => {
  const status = patchMetaFor('', 'Pod')?.fields?.status;
  assert.equal(status?.fields?.conditions?.mergeKey, 'type');
  assert.equal(status?.fields?.podIPs?.mergeKey, 'ip');
  assert.equal(status?.fields?.containerStatuses, undefined);
});

test('node conditions and addresses merge by type; taints and images are replaced', () => {
  const node = patchMetaFor('', 'Node');
  assert.equal(node?.fields?.status?.fields?.conditions?.mergeKey, 'type');
  assert.equal(node?.fields?.status?.fields?.addresses?.mergeKey, 'type');
  assert.equal(node?.fields?.status?.fields?.images, undefined);
  assert.equal(node?.fields?.spec?.fields?.taints, undefined);
  assert.ok(mergesItems(node?.fields?.spec?.fields?.podCIDRs));
});

test('every kind merges finalizers as a set and ownerReferences by uid', () => {
  for (const [group, kind] of [
    ['', 'ConfigMap'],
    ['', 'Secret'],
    ['', 'Endpoints'],
    ['', 'Event'],
    ['', 'Namespace'],
    ['', 'ServiceAccount'],
    ['', 'Service'],
    ['coordination.k8s.io', 'Lease'],
    ['discovery.k8s.io', 'EndpointSlice'],
    ['events.k8s.io', 'Event'],
    ['apps', 'DaemonSet'],
  ] as const) {
    const metadata = patchMetaFor(group, kind)?.fields?.metadata;
    assert.ok(metadata, `${group}/${kind} has metadata`);
    assert.deepEqual(metadata.fields?.finalizers, { strategy: 'merge' });
    assert.equal(metadata.fields?.ownerReferences?.mergeKey, 'uid');
  }
});

test('service ports merge by port and service account secrets by name', () => {
  assert.equal(patchMetaFor('', 'Service')?.fields?.spec?.fields?.ports?.mergeKey, 'port');
  assert.equal(patchMetaFor('', 'ServiceAccount')?.fields?.secrets?.mergeKey, 'name');
});

test('deployment and daemonset templates use the pod spec metadata', () => {
  for (const kind of ['Deployment', 'DaemonSet']) {
    const apps = patchMetaFor('apps', kind);
    assert.equal(apps?.fields?.spec?.fields?.template?.fields?.spec?.fields?.containers?.mergeKey, 'name');
    assert.equal(apps?.fields?.status?.fields?.conditions?.mergeKey, 'type');
  }
  assert.equal(patchMetaFor('apps', 'Deployment')?.fields?.spec?.fields?.strategy?.strategy, 'retainKeys');
});

test('kinds without patch metadata get none', () => {
  assert.equal(patchMetaFor('devices.kubeedge.io', 'Device'), undefined);
  assert.equal(patchMetaFor('apps', 'Pod'), undefined);
  assert.equal(patchMetaFor('', 'Deployment'), undefined);
});
