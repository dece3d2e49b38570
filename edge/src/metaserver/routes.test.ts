import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeOf, type Route } from './routes.ts';
import { ApiError } from '@edgeproof/core';

/** The route with the resource reduced to `group/plural`, for short expectations. */
function route(path: string): unknown {
  const r: Route = routeOf(path);
  if (r.kind !== 'objects') return r;
  return {
    kind: r.kind,
    resource: `${r.resource.group}/${r.resource.plural}`,
    namespace: r.namespace,
    name: r.name,
  };
}

test('routes kube-apiserver paths: core, groups, namespaced and cluster-scoped objects', () => {
  assert.deepEqual(route('/version'), { kind: 'version' });
  assert.deepEqual(route('/readyz'), { kind: 'health' });
  assert.deepEqual(route('/api'), { kind: 'apiVersions' });
  assert.deepEqual(route('/api/v1/'), { kind: 'apiResourceList', group: '', version: 'v1' });
  assert.deepEqual(route('/apis'), { kind: 'apiGroupList' });
  assert.deepEqual(route('/apis/apps'), { kind: 'apiGroup', group: 'apps' });
  assert.deepEqual(route('/apis/apps/v1'), { kind: 'apiResourceList', group: 'apps', version: 'v1' });
  assert.deepEqual(route('/api/v1/pods'), {
    kind: 'objects',
    resource: '/pods',
    namespace: undefined,
    name: undefined,
  });
  assert.deepEqual(route('/api/v1/namespaces/default/pods/web%2D1'), {
    kind: 'objects',
    resource: '/pods',
    namespace: 'default',
    name: 'web-1',
  });
  assert.deepEqual(route('/api/v1/nodes/edge-1'), {
    kind: 'objects',
    resource: '/nodes',
    namespace: undefined,
    name: 'edge-1',
  });
  assert.deepEqual(route('/apis/devices.kubeedge.io/v1beta1/namespaces/d/devices'), {
    kind: 'objects',
    resource: 'devices.kubeedge.io/devices',
    namespace: 'd',
    name: undefined,
  });
});

test('what is not served is notFound; a bad percent-escape is a 400', () => {
  for (const path of [
    '/',
    '/openapi/v3',
    '/api/v2/pods',
    '/api/v1/namespaces',
    '/api/v1/namespaces/default',
    '/api/v1/pods/web',
    '/api/v1/namespaces/default/nodes',
    '/api/v1/namespaces/default/pods/web/log',
    '/apis/apps/v1/widgets',
  ]) {
    assert.deepEqual(route(path), { kind: 'notFound' }, path);
  }
  assert.throws(
    () => routeOf('/api/v1/namespaces/%E0%A4%A/pods'),
    (e: unknown) => e instanceof ApiError && e.code === 400,
  );
});
