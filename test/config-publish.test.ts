import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { bundleDocument } from '../lib/cli/bundle.ts';
import { publishBundle } from '../lib/cli/publish.ts';
import { configFromEnv } from '../lib/config/from-env.ts';
import { readBundlePath } from '../lib/config/read-directory.ts';
import { startStores, type TestStores } from './config-servers.ts';

let stores: TestStores;
let work: string;
let bundleDir: string;
before(async () => {
  stores = await startStores();
  work = mkdtempSync(join(tmpdir(), 'outrigger-publish-'));
  bundleDir = join(work, 'bundle');
  mkdirSync(join(bundleDir, 'templates'), { recursive: true });
  writeFileSync(join(bundleDir, 'config.yaml'), 'defaultTemplates: [sidecar, marker]\n');
  writeFileSync(
    join(bundleDir, 'templates', 'marker.liquid'),
    'metadata:\n  annotations:\n    example.com/marker: {{ values.global.hub }}\n',
  );
  writeFileSync(join(bundleDir, 'values.yaml'), 'global:\n  hub: published.example/istio\n');
  writeFileSync(join(bundleDir, 'mesh.yaml'), 'trustDomain: published.local\n');
});
after(async () => {
  await stores.close();
  rmSync(work, { recursive: true, force: true });
});

async function loaded(uri: string) {
  return configFromEnv({ ...stores.env, OUTRIGGER_CONFIG: uri }, { log: () => {} })('');
}

describe('outrigger bundle and publish', () => {
  it('bundle: the directory as one document, YAML by default or JSON, and nothing else', () => {
    const expected = readBundlePath(bundleDir);
    const asYaml = bundleDocument(bundleDir, 'yaml');
    assert.deepEqual(yaml.load(asYaml), expected);
    assert.match(asYaml, /^ {2}marker: \|\n {4}metadata:\n/m, 'templates stay readable block scalars');
    assert.deepEqual(JSON.parse(bundleDocument(bundleDir, 'json')), expected);
    assert.deepEqual(Object.keys(expected).sort(), ['defaultTemplates', 'mesh', 'templates', 'values']);
  });

  for (const uri of [
    'secretsmanager://publish/new-secret',
    's3://outrigger/published/bundle.yaml',
    'gs://outrigger/published/bundle.yaml',
    'file',
  ]) {
    it(`publish → load round trip: ${uri}`, async () => {
      const target = uri === 'file' ? join(work, 'published.yaml') : uri;
      const line = await publishBundle(bundleDir, target, 'yaml', stores.env);
      assert.match(line, new RegExp(`^published ${bundleDir} to ${target} \\(version .+\\)\\n$`));
      const config = await loaded(target);
      assert.equal((config.bundle.values.global as Record<string, unknown>).hub, 'published.example/istio');
      assert.equal(config.bundle.mesh.trustDomain, 'published.local');
      assert.deepEqual(config.bundle.defaultTemplates, ['sidecar', 'marker']);
      assert.ok(config.templates.has('marker') && config.templates.has('sidecar'));
    });
  }

  it('publish to Secrets Manager creates the secret once, then adds versions', async () => {
    stores.sm.resetCalls();
    await publishBundle(bundleDir, 'secretsmanager://publish/versions', 'json', stores.env);
    assert.deepEqual(stores.sm.calls, { PutSecretValue: 1, CreateSecret: 1 });
    await publishBundle(bundleDir, 'secretsmanager://publish/versions', 'json', stores.env);
    assert.deepEqual(stores.sm.calls, { PutSecretValue: 2, CreateSecret: 1 });
    const config = await loaded('secretsmanager://publish/versions');
    assert.equal(config.bundle.mesh.trustDomain, 'published.local');
  });

  it('publish validates against the default first and uploads nothing when invalid', async (t) => {
    const bad = join(work, 'bad');
    mkdirSync(join(bad, 'templates'), { recursive: true });
    t.after(() => rmSync(bad, { recursive: true, force: true }));
    writeFileSync(join(bad, 'templates', 'sidecar.liquid'), '{% if %}\n');
    stores.sm.resetCalls();
    await assert.rejects(
      publishBundle(bad, 'secretsmanager://publish/bad', 'yaml', stores.env),
      /template "sidecar" does not parse/,
    );
    writeFileSync(join(bad, 'templates', 'sidecar.liquid'), 'spec: {}\n');
    writeFileSync(join(bad, 'config.yaml'), 'defaultTemplates: [missing]\n');
    await assert.rejects(publishBundle(bad, 'secretsmanager://publish/bad', 'yaml', stores.env), {
      message: `invalid config bundle ${bad}: defaultTemplates: names template "missing", which the bundle does not define`,
    });
    assert.equal(stores.sm.totalCalls(), 0);
  });

  it('the CLI: `outrigger publish` uploads and exits, `--config URI` reads it back', async () => {
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'functions/cli.ts', ...args], {
        env: { ...process.env, ...stores.env },
        timeout: 20_000,
      });
    const published = await run(['publish', bundleDir, '--to', 'secretsmanager://publish/cli']);
    assert.match(published.stdout, /^published .* to secretsmanager:\/\/publish\/cli \(version .+\)\n$/);
    const pod = join(work, 'pod.yaml');
    writeFileSync(
      pod,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec: {containers: [{name: app, image: app}]}\n',
    );
    const injected = await run(['kube-inject', '-f', pod, '--config', 'secretsmanager://publish/cli']);
    assert.match(injected.stdout, /example\.com\/marker: published\.example\/istio/);
    assert.ok(readFileSync(pod, 'utf8').length > 0);
  });
});
