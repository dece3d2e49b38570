// Every built-in scenario (scenarios/*.yaml) through the real `edgeproof run`, as CI runs them: each
// must pass on this 2-core machine with the shortened timers it sets. JUnit files are kept for CI
// in reports/junit/<scenario>.xml at the repository root, the HTML and JSON reports and component
// logs in reports/<scenario>/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarios } from '../src/runner/load-scenario.ts';
import { BIN } from './support/cli.ts';

const scenariosDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reportsDir = resolve(scenariosDir, '..', 'reports');
const files = readdirSync(scenariosDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => join(scenariosDir, f));

test('the built-in scenarios are there and valid', () => {
  assert.ok(files.length >= 5, `built-in scenarios: ${files.join(', ')}`);
  const loaded = loadScenarios(files);
  for (const s of loaded)
    assert.equal(`${s.spec.name}.yaml`, basename(s.file), 'a scenario is named after its file');
});

for (const file of files) {
  const name = basename(file, '.yaml');
  test(`built-in scenario ${name} passes`, { timeout: 170_000 }, async () => {
    const data = mkdtempSync(join(tmpdir(), `edgeproof-builtin-${name}-`));
    const junit = join(reportsDir, 'junit', `${name}.xml`);
    try {
      const r = await new Promise<{ code: number | null; out: string }>((done) => {
        const child = spawn(
          process.execPath,
          [BIN, 'run', file, '--junit', junit, '--report-dir', join(reportsDir, name), '--data-dir', data],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
        const timer = setTimeout(() => child.kill('SIGINT'), 160_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          done({ code, out });
        });
      });
      assert.equal(r.code, 0, `edgeproof run ${name} exited ${r.code}:\n${r.out}`);
      const xml = readFileSync(junit, 'utf8');
      assert.match(xml, new RegExp(`<testsuite name="${name}" tests="\\d+" failures="0" errors="0"`));
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
}
