// The shipped command (dist/cli.js, one esbuild bundle with the SDKs as lazy chunks) publishing
// versions and moving clusters between them on s3rver, as an operator would run it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { configFromEnv } from '../../lib/config/from-env.ts';
import { startStores, type TestStores } from '../../harness/stores.ts';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';

let stores: TestStores;
let work: string;
before(async () => {
  await ensureBuilt();
  stores = await startStores();
  work = mkdtempSync(join(tmpdir(), 'outrigger-rollout-cli-'));
});
after(async () => {
  await stores.close();
  rmSync(work, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'dist/cli.js'), ...args],
      {
        env: { ...process.env, ...stores.env },
        timeout: 30_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function bundleDir(name: string, hub: string, template?: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'values.yaml'), `global:\n  hub: ${hub}\n`);
  if (template) {
    writeFileSync(join(dir, 'config.yaml'), 'defaultTemplates: [sidecar, extra]\n');
    writeFileSync(join(dir, 'templates', 'extra.liquid'), template);
  }
  return dir;
}

/** What an instance on the document serves each cluster, read fresh (a new instance each time). */
async function served(doc: string, ...clusters: string[]): Promise<string[]> {
  const lookup = configFromEnv({ ...stores.env, OUTRIGGER_CONFIG: doc }, { log: () => {} });
  return Promise.all(
    clusters.map(async (c) =>
      String(((await lookup(c)).bundle.values.global as Record<string, unknown>).hub),
    ),
  );
}

describe('dist/cli.js: publish and rollout against s3rver', () => {
  it('publish prints the version URI; rollout init, start, next, undo and status move c1 then c2', async () => {
    const to = 's3://outrigger/cli-rollout/bundle.yaml';
    const p1 = await cli('publish', bundleDir('v1', 'v1.example'), '--to', to);
    assert.equal(p1.code, 0, p1.stderr);
    const v1 = p1.stdout.trim();
    assert.match(v1, /^s3:\/\/outrigger\/cli-rollout\/bundle\.[0-9a-f]{16}\.yaml$/);
    assert.match(p1.stderr, /^published: .*v1 as s3:/m);
    const v2 = (await cli('publish', bundleDir('v2', 'v2.example'), '--to', to)).stdout.trim();
    assert.notEqual(v2, v1);

    const doc = 's3://outrigger/cli-rollout/rollout.yaml';
    const init = await cli('rollout', 'init', '--to', doc, '--version', v1);
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(await served(doc, 'c1', 'c2'), ['v1.example', 'v1.example']);

    const start = await cli('rollout', 'start', '--to', doc, '--version', v2, '--waves', 'c1', '*');
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^wrote s3:\/\/outrigger\/cli-rollout\/rollout\.yaml \(store version .+\)\n/);
    assert.match(
      start.stdout,
      /version: .*\(wave 1 of 2\)\n {2}wave 1: c1 {2}→ version\n {2}wave 2: \* {2}→ default \(pending\)\n/,
    );
    assert.deepEqual(await served(doc, 'c1', 'c2'), ['v2.example', 'v1.example']);

    const status = await cli('rollout', 'status', '--to', doc, '--cluster', 'c1', 'c2');
    assert.equal(status.code, 0, status.stderr);
    assert.ok(status.stdout.includes(`cluster c1: ${v2} (wave 1)`), status.stdout);
    assert.ok(status.stdout.includes(`cluster c2: ${v1} (default)`), status.stdout);
    assert.match(status.stdout, /default: .*\[id [0-9a-f]{16}, compiles\]/);

    assert.equal((await cli('rollout', 'next', '--to', doc)).code, 0);
    assert.deepEqual(await served(doc, 'c1', 'c2'), ['v2.example', 'v2.example']);

    const undo = await cli('rollout', 'undo', '--to', doc);
    assert.equal(undo.code, 0, undo.stderr);
    assert.deepEqual(await served(doc, 'c1', 'c2'), ['v1.example', 'v1.example']);

    const again = await cli('rollout', 'undo', '--to', doc);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: rollout: nothing to undo/m);
  });

  it('publish --verify-with --dry-run prints the changes and writes nothing; a breaking change exits 1', async () => {
    const corpus = join(work, 'corpus.yaml');
    writeFileSync(
      corpus,
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web:1}]}\n',
    );
    const to = 's3://outrigger/cli-verify/';
    const dry = await cli(
      'publish',
      bundleDir('dry', 'dry.example'),
      '--to',
      to,
      '--verify-with',
      corpus,
      '--dry-run',
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^s3:\/\/outrigger\/cli-verify\/bundle\.[0-9a-f]{16}\.yaml\n$/);
    assert.match(
      dry.stderr,
      /Deployment shop\/web \(.*corpus\.yaml\): \d changes?\n {2}~ init container istio-init: image .* → dry\.example\//,
    );
    assert.match(dry.stderr, /dry run: would publish/);
    const bad = await cli(
      'publish',
      bundleDir(
        'bad',
        'bad.example',
        'spec:\n  containers:\n  - name: istio-proxy\n    volumeMounts: [{name: nowhere, mountPath: /x}]\n',
      ),
      '--to',
      to,
      '--verify-with',
      corpus,
    );
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(
      bad.stderr,
      /Deployment shop\/web .*: FAILS with the new bundle: .*"nowhere" is not a volume of the pod/,
    );
    assert.match(
      bad.stderr,
      /refusing to publish .*: 1 workload render fails with it; nothing was written\n$/,
    );
  });
});
