// CustomResourceDefinitions through the real kubectl: the KubeEdge CRDs as `edgeproof up` installs
// them, a KubeEdge-style Device YAML applied unchanged, and a CRD made on the fly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubeEdgeCrds, exampleManifestPaths } from '@edgeproof/crds';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

let f: Fixture;
before(async () => {
  f = await startApiServer({ initialObjects: kubeEdgeCrds() });
});
after(async () => {
  await f.stop();
});

const widgetCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd], categories: [all]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.size, statusReplicasPath: .status.replicas, labelSelectorPath: .status.selector}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Phase, type: string, jsonPath: .status.phase}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
              color: {type: string, enum: [red, blue]}
          status:
            type: object
            properties:
              phase: {type: string}
`;

test('the KubeEdge CRDs are installed and listed', async () => {
  const out = await f.kubectlOk(['get', 'crds']);
  assert.match(out, /^NAME\s+CREATED AT$/m);
  for (const name of [
    'devices.devices.kubeedge.io',
    'devicemodels.devices.kubeedge.io',
    'devicestatuses.devices.kubeedge.io',
    'objectsyncs.reliablesyncs.kubeedge.io',
    'clusterobjectsyncs.reliablesyncs.kubeedge.io',
    'nodegroups.apps.kubeedge.io',
    'edgeapplications.apps.kubeedge.io',
  ]) {
    assert.match(out, new RegExp(`^${name.replace(/\./g, '\\.')}\\s+\\d{4}-`, 'm'));
  }
});

test('KubeEdge example manifests apply unchanged and read back', async () => {
  for (const path of exampleManifestPaths()) {
    const r = await f.kubectl(['apply', '-f', path]);
    assert.equal(r.code, 0, `${path}: ${r.stderr}`);
    assert.match(r.stdout, /created|configured|unchanged/);
  }
  const devices = await f.kubectlOk(['get', 'devices', '-A', '-o', 'name']);
  assert.ok(devices.trim().split('\n').length >= 2, devices);
  const models = await f.kubectlOk(['get', 'devicemodels', '-A']);
  assert.match(models, /^NAMESPACE\s+NAME\s+/m);
  // Applying again changes nothing.
  for (const path of exampleManifestPaths()) {
    assert.doesNotMatch(await f.kubectlOk(['apply', '-f', path]), /created|configured/);
  }
});

test('a new CRD becomes servable with its columns, short name, category and status subresource', async () => {
  assert.match(await f.kubectlOk(['apply', '-f', '-'], widgetCrd), /customresourcedefinition.* created/);
  await f.kubectlOk(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=10s']);
  assert.match(
    await f.kubectlOk(
      ['apply', '-f', '-'],
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3, color: red}\n',
    ),
    /widget.example.com\/w1 created/,
  );
  const table = await f.kubectlOk(['get', 'wd']);
  assert.match(table, /^NAME\s+SIZE\s+PHASE\s+AGE$/m);
  assert.match(table, /^w1\s+3\s+\s+\d+s$/m);
  assert.match(await f.kubectlOk(['get', 'all']), /widget.example.com\/w1/);
  await f.kubectlOk([
    'patch',
    'widget',
    'w1',
    '--subresource=status',
    '--type=merge',
    '-p',
    '{"status":{"phase":"Done"}}',
  ]);
  await f.kubectlOk(['wait', '--for=jsonpath={.status.phase}=Done', 'widget/w1', '--timeout=10s']);
  // A status sent to the main resource is ignored (status is a subresource).
  await f.kubectlOk([
    'patch',
    'widget',
    'w1',
    '--type=merge',
    '-p',
    '{"status":{"phase":"Ignored"},"spec":{"size":4}}',
  ]);
  assert.equal(
    (
      await f.kubectlOk([
        'get',
        'widget',
        'w1',
        '-o',
        'jsonpath={.status.phase}/{.spec.size}/{.metadata.generation}',
      ])
    ).trim(),
    'Done/4/2',
  );
});

test('custom resources are validated against the schema', async () => {
  await f.kubectl(['apply', '-f', '-'], widgetCrd);
  const missing = await f.kubectl(
    ['apply', '-f', '-'],
    'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {color: red}\n',
  );
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /spec\.size: Required value/);
  const wrongType = await f.kubectl(
    ['apply', '-f', '-'],
    'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w3}\nspec: {size: "big"}\n',
  );
  assert.equal(wrongType.code, 1);
  assert.match(wrongType.stderr, /spec\.size/);
  const unknown = await f.kubectl(
    ['apply', '-f', '-'],
    'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w4}\nspec: {size: 1, shape: round}\n',
  );
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown field "spec\.shape"/);
  const smp = await f.kubectl(['patch', 'widget', 'w1', '-p', '{"spec":{"size":5}}']);
  assert.equal(smp.code, 1);
  assert.match(smp.stderr, /strategic-merge-patch\+json is not supported/);
});

test('kubectl explain works for built-ins and CRDs', async () => {
  assert.match(await f.kubectlOk(['explain', 'pods']), /KIND:\s+Pod/);
  await f.kubectl(['apply', '-f', '-'], widgetCrd);
  assert.match(await f.kubectlOk(['explain', 'widgets.spec']), /size/);
});

test('deleting a CRD removes its objects and its resource', async () => {
  await f.kubectl(
    ['apply', '-f', '-'],
    widgetCrd
      .replace(/widgets/g, 'gadgets')
      .replace(/widget/g, 'gadget')
      .replace(/Widget/g, 'Gadget')
      .replace('[wd]', '[gd]'),
  );
  await f.kubectlOk(
    ['apply', '-f', '-'],
    'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1}\nspec: {size: 1}\n',
  );
  await f.kubectlOk(['delete', 'crd', 'gadgets.example.com']);
  const r = await f.kubectl(['get', 'gadgets']);
  assert.equal(r.code, 1);
  // With a cold discovery cache kubectl finds no such type; with a warm one (it keeps discovery
  // for 6 h) it still knows the type and the list is a 404.
  assert.match(
    r.stderr,
    /the server doesn't have a resource type "gadgets"|Unable to list "example.com\/v1, Resource=gadgets".*could not find the requested resource/,
  );
});

test('a KubeEdge Device goes through apply, patch, wait, watch, describe and delete', async () => {
  const { spawn } = await import('node:child_process');
  const dir = exampleManifestPaths().find((p) => p.endsWith('modbus-device-model.yaml'));
  const device = exampleManifestPaths().find((p) => p.endsWith('modbus-device.yaml'));
  assert.ok(dir && device);
  await f.kubectlOk(['apply', '-f', dir]);
  await f.kubectlOk(['apply', '-f', device]);
  const watcher = spawn(
    'kubectl',
    ['--kubeconfig', f.kubeconfig, 'get', 'devices', '-w', '--output-watch-events'],
    {
      env: { ...process.env, HOME: f.dataDir },
    },
  );
  let watched = '';
  watcher.stdout.on('data', (d: Buffer) => (watched += d.toString()));
  try {
    // A desired value changed the way a user (or the cloud UI) does it: a merge patch on the CR.
    const patch = JSON.stringify({ spec: { nodeName: 'edge-node-2' } });
    assert.match(
      await f.kubectlOk(['patch', 'device', 'modbus-thermometer-01', '--type=merge', '-p', patch]),
      /patched/,
    );
    await f.kubectlOk([
      'patch',
      'device',
      'modbus-thermometer-01',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/properties/0/collectCycle","value":5000}]',
    ]);
    const waited = await f.kubectl([
      'wait',
      '--for=jsonpath={.spec.nodeName}=edge-node-2',
      'device/modbus-thermometer-01',
      '--timeout=10s',
    ]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(
      (
        await f.kubectlOk([
          'get',
          'device',
          'modbus-thermometer-01',
          '-o',
          'jsonpath={.spec.properties[0].collectCycle}/{.metadata.generation}',
        ])
      ).trim(),
      '5000/3',
    );
    assert.match(
      await f.kubectlOk(['describe', 'device', 'modbus-thermometer-01']),
      /Node Name:\s+edge-node-2/,
    );
    assert.match(await f.kubectlOk(['delete', 'device', 'modbus-thermometer-01']), /deleted/);
    for (let i = 0; i < 100 && !/DELETED\s+modbus-thermometer-01/.test(watched); i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.match(watched, /MODIFIED\s+modbus-thermometer-01/);
    assert.match(watched, /DELETED\s+modbus-thermometer-01/);
  } finally {
    watcher.kill();
  }
});

test('kubectl scale works on a custom resource with a scale subresource', async () => {
  await f.kubectl(['apply', '-f', '-'], widgetCrd);
  await f.kubectlOk(
    ['apply', '-f', '-'],
    'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: scaled}\nspec: {size: 2}\n',
  );
  assert.match(
    await f.kubectlOk(['scale', 'widget', 'scaled', '--replicas=7']),
    /widget.example.com\/scaled scaled/,
  );
  assert.equal((await f.kubectlOk(['get', 'widget', 'scaled', '-o', 'jsonpath={.spec.size}'])).trim(), '7');
});
