import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { bundleDocument } from '../../lib/cli/bundle.ts';
import { publishVersion } from '../../lib/cli/publish.ts';
import { configFromEnv } from '../../lib/config/from-env.ts';
import { readBundlePath } from '../../lib/config/read-directory.ts';
import { MAX_SOURCE_BYTES } from '../../lib/config/source.ts';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { startStores, type TestStores } from '../../harness/stores.ts';

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
    it(`publish → load round trip of the immutable version: ${uri}`, async () => {
      const target = uri === 'file' ? join(work, 'published.yaml') : uri;
      const published = await publishVersion(bundleDir, target, { format: 'yaml' }, stores.env);
      assert.match(published.id, /^[0-9a-f]{16}$/);
      assert.ok(published.uri.includes(published.id), `${published.uri} names its content hash`);
      assert.match(published.report, /^published: .* as .* \(version [0-9a-f]{16}\)\n$/);
      const config = await loaded(published.uri);
      assert.equal((config.bundle.values.global as Record<string, unknown>).hub, 'published.example/istio');
      assert.equal(config.bundle.mesh.trustDomain, 'published.local');
      assert.deepEqual(config.bundle.defaultTemplates, ['sidecar', 'marker']);
      assert.ok(config.templates.has('marker') && config.templates.has('sidecar'));
      const again = await publishVersion(bundleDir, target, { format: 'yaml' }, stores.env);
      assert.equal(again.uri, published.uri, 'the same content is the same version');
    });
  }

  it('publish to Secrets Manager creates the secret once, then adds versions without moving AWSCURRENT', async () => {
    stores.sm.resetCalls();
    const first = await publishVersion(
      bundleDir,
      'secretsmanager://publish/versions',
      { format: 'json' },
      stores.env,
    );
    assert.deepEqual(stores.sm.calls, { PutSecretValue: 1, CreateSecret: 1 });
    const second = await publishVersion(
      bundleDir,
      'secretsmanager://publish/versions',
      { format: 'yaml' },
      stores.env,
    );
    assert.deepEqual(stores.sm.calls, { PutSecretValue: 2, CreateSecret: 1 });
    assert.notEqual(first.uri, second.uri);
    const current = await configFromEnv(
      { ...stores.env, OUTRIGGER_CONFIG: 'secretsmanager://publish/versions' },
      { log: () => {} },
    )('');
    assert.equal(current.bundle.mesh.trustDomain, 'published.local');
    assert.equal((await loaded(second.uri)).bundle.mesh.trustDomain, 'published.local');
  });

  it('publish never replaces an object: a version named by another content is left alone', async () => {
    const first = await publishVersion(
      bundleDir,
      's3://outrigger/immutable/',
      { format: 'yaml' },
      stores.env,
    );
    assert.match(first.uri, /^s3:\/\/outrigger\/immutable\/bundle\.[0-9a-f]{16}\.yaml$/);
    assert.equal(first.created, true);
    const again = await publishVersion(
      bundleDir,
      's3://outrigger/immutable/',
      { format: 'yaml' },
      stores.env,
    );
    assert.equal(again.created, false);
    assert.equal(again.written, false);
    assert.match(again.report, /^already published, unchanged/);
    const dry = await publishVersion(
      bundleDir,
      's3://outrigger/immutable/',
      { format: 'json', dryRun: true },
      stores.env,
    );
    assert.equal(dry.written, false);
    await assert.rejects(loaded(dry.uri), /NoSuchKey/, 'a dry run writes nothing');
  });

  it('publish validates against the default first and uploads nothing when invalid', async (t) => {
    const bad = join(work, 'bad');
    mkdirSync(join(bad, 'templates'), { recursive: true });
    t.after(() => rmSync(bad, { recursive: true, force: true }));
    writeFileSync(join(bad, 'templates', 'sidecar.liquid'), '{% if %}\n');
    stores.sm.resetCalls();
    await assert.rejects(
      publishVersion(bad, 'secretsmanager://publish/bad', { format: 'yaml' }, stores.env),
      /template "sidecar" does not parse/,
    );
    writeFileSync(join(bad, 'templates', 'sidecar.liquid'), 'spec: {}\n');
    writeFileSync(join(bad, 'config.yaml'), 'defaultTemplates: [missing]\n');
    await assert.rejects(
      publishVersion(bad, 'secretsmanager://publish/bad', { format: 'yaml' }, stores.env),
      {
        message: `invalid config bundle ${bad}: defaultTemplates: names template "missing", which the bundle does not define`,
      },
    );
    assert.equal(stores.sm.totalCalls(), 0);
  });

  it('the CLI: `outrigger publish` prints the version URI, `--config URI` reads it back', async () => {
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'functions/cli.ts', ...args], {
        env: { ...process.env, ...stores.env },
        timeout: 20_000,
      });
    const published = await run(['publish', bundleDir, '--to', 'secretsmanager://publish/cli']);
    assert.match(published.stdout, /^secretsmanager:\/\/publish\/cli\?versionId=[0-9a-f]{32}\n$/);
    assert.match(published.stderr, /^published: /m);
    const pod = join(work, 'pod.yaml');
    writeFileSync(
      pod,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec: {containers: [{name: app, image: app}]}\n',
    );
    const injected = await run(['kube-inject', '-f', pod, '--config', published.stdout.trim()]);
    assert.match(injected.stdout, /example\.com\/marker: published\.example\/istio/);
    assert.ok(readFileSync(pod, 'utf8').length > 0);
  });
});

describe('publish reads only the bundle’s own regular files (was: a symlink published the file it points at)', () => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], {
      env: { ...process.env, ...stores.env },
      timeout: 20_000,
    }).then(
      (ok) => ({ code: 0, stderr: ok.stderr }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );

  it('dist/cli.js: a template that is a symbolic link, a linked bundle folder, a file over 4 MiB: refused naming it, nothing uploaded', async (t) => {
    await ensureBuilt();
    const linked = join(work, 'linked');
    mkdirSync(join(linked, 'templates'), { recursive: true });
    t.after(() => rmSync(linked, { recursive: true, force: true }));
    const secret = join(work, 'ci-secret.txt');
    writeFileSync(secret, 'AKIA-not-for-pods\n');
    symlinkSync(secret, join(linked, 'templates', 'x.liquid'));
    symlinkSync(bundleDir, join(work, 'bundle-link'));
    const big = join(work, 'big');
    mkdirSync(big);
    writeFileSync(join(big, 'values.yaml'), `# ${'x'.repeat(MAX_SOURCE_BYTES)}\n`);
    t.after(() => rmSync(big, { recursive: true, force: true }));
    stores.sm.resetCalls();
    const cases: [string, RegExp][] = [
      [linked, /templates\/x\.liquid is a symbolic link; a bundle is read from its own regular files only/],
      [join(work, 'bundle-link'), /bundle-link is a symbolic link/],
      [big, /big\/values\.yaml is \d+ bytes; a bundle file may hold at most 4194304/],
    ];
    for (const [dir, message] of cases) {
      const out = await run(['publish', dir, '--to', 'secretsmanager://publish/linked']);
      assert.notEqual(out.code, 0, dir);
      assert.match(out.stderr, message);
      assert.doesNotMatch(out.stderr, /AKIA/);
    }
    assert.equal(stores.sm.totalCalls(), 0);
  });
});
