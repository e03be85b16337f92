import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { InjectorConfig } from '../../lib/config/compile.ts';
import { configFromEnv } from '../../lib/config/from-env.ts';
import { MAX_SOURCE_BYTES } from '../../lib/config/source.ts';
import { parseSourceUri } from '../../lib/config/source-uri.ts';
import { createS3Store } from '../../lib/config/sources/s3.ts';
import { storeSettingsFromEnv } from '../../lib/config/stores.ts';
import { startStores, type TestStores } from '../../harness/stores.ts';

let stores: TestStores;
let dir: string;
before(async () => {
  stores = await startStores();
  dir = mkdtempSync(join(tmpdir(), 'outrigger-config-'));
});
after(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

const silent = { log: () => {} };

function load(uris: string, env: Record<string, string> = {}) {
  return configFromEnv({ ...stores.env, OUTRIGGER_CONFIG: uris, ...env }, silent)('');
}

function global(config: InjectorConfig): Record<string, unknown> {
  return config.bundle.values.global as Record<string, unknown>;
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => assert.fail('expected the config lookup to fail'),
    (err: Error) => `${(err as { code?: string }).code}: ${err.message}`,
  );
}

describe('config sources, each against a real server', () => {
  it('secretsmanager:// reads SecretString by name and by ARN', async () => {
    stores.sm.put('outrigger/string', 'values: {global: {hub: sm.example/istio}}');
    assert.equal(global(await load('secretsmanager://outrigger/string')).hub, 'sm.example/istio');
    const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:outrigger/string-AbCdEf';
    assert.equal(global(await load(`secretsmanager://${arn}`)).hub, 'sm.example/istio');
  });

  it('secretsmanager:// reads SecretBinary as UTF-8 text', async () => {
    stores.sm.put('outrigger/binary', Buffer.from('values: {global: {hub: binary.example}}'));
    assert.equal(global(await load('secretsmanager://outrigger/binary')).hub, 'binary.example');
  });

  it('secretsmanager://...?versionStage= reads that stage', async () => {
    stores.sm.put('outrigger/staged', 'values: {global: {hub: old.example}}');
    stores.sm.put('outrigger/staged', 'values: {global: {hub: new.example}}');
    assert.equal(global(await load('secretsmanager://outrigger/staged')).hub, 'new.example');
    const previous = await load('secretsmanager://outrigger/staged?versionStage=AWSPREVIOUS');
    assert.equal(global(previous).hub, 'old.example');
  });

  it('s3:// reads an object (s3rver), and a refresh of an unchanged ETag is a 304 with no body', async () => {
    const etag = await stores.s3.put('outrigger', 'base/bundle.yaml', 'values: {global: {hub: s3.example}}');
    assert.equal(global(await load('s3://outrigger/base/bundle.yaml')).hub, 's3.example');
    const store = createS3Store(storeSettingsFromEnv(stores.env));
    const ref = parseSourceUri('s3://outrigger/base/bundle.yaml');
    assert.equal(ref.scheme, 's3');
    if (ref.scheme !== 's3') return;
    assert.equal(await store.read(ref, etag), 'unchanged');
    const fresh = await store.read(ref, '"some-other-etag"');
    assert.notEqual(fresh, 'unchanged');
  });

  it('gs:// reads an object (GCS JSON API) pinned to the generation its metadata named', async () => {
    stores.gcs.resetCalls();
    stores.gcs.put('outrigger', 'bundle.yaml', 'values: {global: {hub: gcs.example}}');
    assert.equal(global(await load('gs://outrigger/bundle.yaml')).hub, 'gcs.example');
    assert.deepEqual(stores.gcs.calls, { metadata: 1, media: 1 });
  });

  it('a plain path or file:// URL reads a bundle file or directory', async () => {
    const file = join(dir, 'bundle.yaml');
    writeFileSync(file, 'values: {global: {hub: file.example}}\n');
    const bundleDir = join(dir, 'bundle-dir');
    mkdirSync(bundleDir);
    writeFileSync(join(bundleDir, 'values.yaml'), 'global: {hub: dir.example}\n');
    assert.equal(global(await load(file)).hub, 'file.example');
    assert.equal(global(await load(pathToFileURL(file).href)).hub, 'file.example');
    assert.equal(global(await load(bundleDir)).hub, 'dir.example');
  });

  it('layers several URIs in order over the embedded default', async () => {
    await stores.s3.put('outrigger', 'shared.yaml', 'values: {global: {hub: shared.example, meshID: mesh1}}');
    stores.sm.put('outrigger/env', 'values: {global: {hub: env.example}}');
    const config = await load('s3://outrigger/shared.yaml,secretsmanager://outrigger/env');
    assert.equal(global(config).hub, 'env.example', 'the later layer wins');
    assert.equal(
      global(config).meshID,
      'mesh1',
      'the earlier layer still shows where the later one is silent',
    );
    assert.equal(global(config).istioNamespace, 'istio-system', 'the embedded default is underneath');
    const reversed = await load('secretsmanager://outrigger/env,s3://outrigger/shared.yaml');
    assert.equal(global(reversed).hub, 'shared.example');
  });

  it('names the source and the store error when a read fails', async () => {
    assert.equal(
      await rejection(load('secretsmanager://outrigger/missing')),
      "config-unavailable: config unavailable: config source secretsmanager://outrigger/missing: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
    );
    assert.equal(
      await rejection(load('s3://outrigger/missing.yaml')),
      'config-unavailable: config unavailable: config source s3://outrigger/missing.yaml: NoSuchKey: The specified key does not exist.',
    );
    assert.equal(
      await rejection(load('s3://no-such-bucket/x.yaml')),
      'config-unavailable: config unavailable: config source s3://no-such-bucket/x.yaml: NoSuchBucket: The specified bucket does not exist',
    );
    assert.equal(
      await rejection(load('gs://outrigger/missing.yaml')),
      'config-unavailable: config unavailable: config source gs://outrigger/missing.yaml: No such object: outrigger/missing.yaml',
    );
  });

  it('rejects a bad URI or setting when the function starts, not on a request', () => {
    assert.throws(() => configFromEnv({ OUTRIGGER_CONFIG: 's3://b/k,foo://x' }, silent), {
      message: 'config source foo://x: unsupported scheme "foo:"; use file, secretsmanager, s3 or gs',
    });
    assert.throws(
      () => configFromEnv({ OUTRIGGER_CONFIG: join(dir, 'nope.yaml') }, silent),
      (err: Error) =>
        err.message.startsWith(`config source ${join(dir, 'nope.yaml')}: ENOENT: no such file or directory`),
    );
    assert.throws(() => configFromEnv({ OUTRIGGER_CONFIG_TTL: 'soon' }, silent), {
      message: 'OUTRIGGER_CONFIG_TTL must be seconds (0 or more), not "soon"',
    });
  });

  it('contacts no remote store until the first lookup', async () => {
    stores.sm.resetCalls();
    stores.sm.put('outrigger/lazy', 'values: {}');
    const lookup = configFromEnv(
      { ...stores.env, OUTRIGGER_CONFIG: 'secretsmanager://outrigger/lazy' },
      silent,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(stores.sm.totalCalls(), 0);
    await lookup('');
    assert.equal(stores.sm.totalCalls(), 1);
  });
});

describe('every store read is capped at MAX_SOURCE_BYTES, before it is read whole', () => {
  // The refusal is the point here, not the store's speed: a loaded machine may take more than the
  // suite's 0.3 s store timeout to answer a first request.
  const PATIENT = { OUTRIGGER_CONFIG_TIMEOUT: '5' };
  const big = `# ${'x'.repeat(MAX_SOURCE_BYTES)}\nvalues: {}\n`;

  it('a local file over the limit (a sparse 1.5 GB file) is refused naming its size, unread', () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, '');
    truncateSync(file, 1_500_000_000);
    // A local source loads while the function starts: the deployment fails, naming it.
    assert.throws(
      () => load(file),
      /huge\.yaml is 1500000000 bytes; a config source may hold at most 4194304/,
    );
  });

  it('s3:// and gs:// objects over the limit are refused naming their size', async () => {
    await stores.s3.put('outrigger', 'big/bundle.yaml', big);
    assert.match(
      await rejection(load('s3://outrigger/big/bundle.yaml', PATIENT)),
      /s3:\/\/outrigger\/big\/bundle\.yaml is \d+ bytes; a config source may hold at most 4194304/,
    );
    stores.gcs.put('outrigger', 'big/bundle.yaml', big);
    assert.match(
      await rejection(load('gs://outrigger/big/bundle.yaml', PATIENT)),
      /gs:\/\/outrigger\/big\/bundle\.yaml is \d+ bytes; a config source may hold at most 4194304/,
    );
  });
});
