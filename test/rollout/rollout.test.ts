import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { applyPatch } from 'rfc6902';
import { publishVersion } from '../../lib/cli/publish.ts';
import { runRollout } from '../../lib/cli/rollout.ts';
import { configFromEnv } from '../../lib/config/from-env.ts';
import { WriteConflict } from '../../lib/config/source.ts';
import { parseSourceUri } from '../../lib/config/source-uri.ts';
import { createStores, storeSettingsFromEnv } from '../../lib/config/stores.ts';
import { createHandler, type RequestRecord } from '../../lib/http/handle.ts';
import { requestLogLine } from '../../lib/observe/request-log.ts';
import { versionIdOf } from '../../lib/rollout/content.ts';
import { fakeClock, startStores, type TestStores, until } from '../../harness/stores.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

let stores: TestStores;
let work: string;
before(async () => {
  stores = await startStores();
  work = mkdtempSync(join(tmpdir(), 'outrigger-rollout-'));
});
after(async () => {
  await stores.close();
  rmSync(work, { recursive: true, force: true });
});

/** A bundle directory whose proxy image comes from `hub` (so a pod shows which version injected it). */
function bundleDir(name: string, hub: string, extra: Record<string, string> = {}): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'values.yaml'), `global:\n  hub: ${hub}\n  tag: '1.0'\n`);
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(dir, file), text);
  return dir;
}

async function publish(dir: string, to: string): Promise<string> {
  return (await publishVersion(dir, to, { format: 'yaml' }, stores.env)).uri;
}

function rollout(args: Parameters<typeof runRollout>[0]) {
  return runRollout(args, stores.env);
}

/** One function instance on the rollout document: the webhook in process, its log and config events. */
function instance(doc: string) {
  const clock = fakeClock();
  const events: Record<string, unknown>[] = [];
  const records: RequestRecord[] = [];
  const config = configFromEnv(
    { ...stores.env, OUTRIGGER_CONFIG: doc },
    { now: clock.now, log: (e) => events.push(e) },
  );
  const handler = createHandler({ revision: '', config, onRequest: (r) => records.push(r) });
  /** The proxy image the pod of `cluster` gets, and the bundle version the answer names. */
  const inject = async (cluster: string) => {
    const pod = deploymentPod();
    const res = await handler({
      method: 'POST',
      path: `/inject/cluster/${cluster}/net/n1`,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(review(pod))),
    });
    const answer = JSON.parse(res.body).response as {
      allowed: boolean;
      patch?: string;
      status?: { message: string };
    };
    assert.equal(answer.allowed, true, answer.status?.message);
    const patched = structuredClone(pod) as {
      spec: {
        containers: { name: string; image: string }[];
        initContainers?: { name: string; image: string }[];
      };
    };
    applyPatch(patched, JSON.parse(Buffer.from(answer.patch ?? '', 'base64').toString('utf8')));
    const proxy = [...patched.spec.containers, ...(patched.spec.initContainers ?? [])].find(
      (c) => c.name === 'istio-proxy',
    );
    const record = records.at(-1) as RequestRecord;
    const line = JSON.parse(requestLogLine(record, 'emf'));
    return { hub: proxy?.image.split('/proxyv2')[0], version: line.configVersion as string, line, record };
  };
  return { clock, events, config, inject };
}

/** Moves the instance's clock past the TTL and sends requests until `cluster` is served `hub`. */
async function afterOneTtl(i: ReturnType<typeof instance>, cluster: string, hub: string) {
  i.clock.advance(61);
  await i.inject(cluster); // starts the one background refresh of the document
  await until(() => i.events.filter((e) => e.msg === 'rollout loaded').length > 0, 'the document refresh');
  let last = '';
  await until(() => {
    void i.inject(cluster).then((r) => {
      last = r.hub ?? '';
    });
    return last === hub;
  }, `${cluster} on ${hub}`);
}

describe('rollouts: one document, each cluster its bundle version', () => {
  it('version 2 to wave c1: c1 on 2, c2 on 1; next: c2 on 2 within one TTL; undo: both back on 1', async () => {
    const v1 = await publish(bundleDir('two-v1', 'v1.example'), 's3://outrigger/two/bundle.yaml');
    const v2 = await publish(bundleDir('two-v2', 'v2.example'), 's3://outrigger/two/bundle.yaml');
    assert.match(v1, /^s3:\/\/outrigger\/two\/bundle\.[0-9a-f]{16}\.yaml$/);
    assert.notEqual(v1, v2);
    const doc = 's3://outrigger/two/rollout.yaml';
    await rollout({ command: 'init', to: doc, version: v1 });

    const fn = instance(doc);
    assert.equal((await fn.inject('c1')).hub, 'v1.example');
    assert.equal((await fn.inject('c2')).hub, 'v1.example');

    const started = await rollout({ command: 'start', to: doc, version: v2, waves: [['c1']] });
    assert.match(started, /wave 1: c1 {2}→ version\n {2}wave 2: \* {2}→ default \(pending\)/);
    fn.events.length = 0;
    await afterOneTtl(fn, 'c1', 'v2.example');
    const c1 = await fn.inject('c1');
    assert.equal(c1.version, v2.match(/\.([0-9a-f]{16})\.yaml$/)?.[1], 'the log names the bundle version');
    assert.deepEqual(c1.line._aws.CloudWatchMetrics[0].Dimensions, [
      [],
      ['cluster'],
      ['configVersion'],
      ['cluster', 'configVersion'],
    ]);
    assert.equal(c1.line.cluster, 'c1');
    assert.match(c1.line.compiledVersion, new RegExp(`^${c1.version}@[0-9a-f]{12}$`));
    const gcp = JSON.parse(requestLogLine(c1.record, 'gcp'));
    assert.deepEqual(gcp['logging.googleapis.com/labels'], {
      cluster: 'c1',
      decision: 'injected',
      configVersion: c1.version,
    });
    assert.equal((await fn.inject('c2')).hub, 'v1.example', 'c2 is not in a started wave');

    await rollout({ command: 'next', to: doc });
    fn.events.length = 0;
    await afterOneTtl(fn, 'c2', 'v2.example');
    assert.equal((await fn.inject('c1')).hub, 'v2.example');

    const undone = await rollout({ command: 'undo', to: doc });
    assert.match(undone, /\(not started \(or undone\)\)/);
    fn.events.length = 0;
    await afterOneTtl(fn, 'c1', 'v1.example');
    await until(() => {
      void fn.inject('c2');
      return fn.config.rolloutStats().versions === 2;
    });
    assert.equal((await fn.inject('c2')).hub, 'v1.example');
    // Each version was read from the store and compiled once on this instance.
    assert.equal(fn.config.rolloutStats().loads, 2);
  });

  it('a version that does not compile, named for c1: c1 keeps its version and the log says why; c2 untouched; the CLI refuses', async () => {
    const v1 = await publish(bundleDir('bad-v1', 'v1.example'), 's3://outrigger/bad/bundle.yaml');
    // A broken version can only get into a store around `publish`, which refuses it: written by hand,
    // under the name its content hash gives.
    const broken = `values: {global: {hub: broken.example}}\ntemplates:\n  sidecar: "{% if %}"\n`;
    const key = `bad/bundle.${versionIdOf(broken)}.yaml`;
    await stores.s3.put('outrigger', key, broken);
    const v3 = `s3://outrigger/${key}`;
    const doc = 's3://outrigger/bad/rollout.yaml';
    await rollout({ command: 'init', to: doc, version: v1 });

    await assert.rejects(
      rollout({ command: 'start', to: doc, version: v3, waves: [['c1']] }),
      (err: Error) => {
        assert.match(
          err.message,
          /^refusing to write the rollout document: a version it serves fails:\n {2}s3:\/\/outrigger\/bad\/bundle\.[0-9a-f]{16}\.yaml: bundle version .* does not compile: template "sidecar" does not parse/,
        );
        return true;
      },
    );
    const status = await rollout({ command: 'status', to: doc });
    assert.doesNotMatch(status, /version:/, 'nothing was written');

    const fn = instance(doc);
    assert.equal((await fn.inject('c1')).hub, 'v1.example');
    assert.equal((await fn.inject('c2')).hub, 'v1.example');
    // The same document as an operator could write it by hand, bypassing the CLI's check.
    await stores.s3.put(
      'outrigger',
      'bad/rollout.yaml',
      yaml.dump({ kind: 'Rollout', default: v1, version: v3, waves: [{ clusters: ['c1'] }], started: 1 }),
    );
    fn.clock.advance(61);
    await fn.inject('c2');
    await until(
      () => fn.events.some((e) => e.msg === 'rollout loaded' && e.version === v3),
      'the new document',
    );
    await fn.inject('c1');
    await until(() => fn.events.some((e) => e.msg === 'bundle version failed'), 'the failure log');
    const failure = fn.events.find((e) => e.msg === 'bundle version failed') as Record<string, unknown>;
    assert.equal(failure.version, v3);
    assert.equal(failure.cluster, 'c1');
    assert.equal(failure.serving, v1);
    assert.match(String(failure.error), /template "sidecar" does not parse/);
    for (let n = 0; n < 5; n++) {
      assert.equal((await fn.inject('c1')).hub, 'v1.example', 'c1 keeps its last good version');
      assert.equal((await fn.inject('c2')).hub, 'v1.example');
    }
    assert.equal(fn.events.filter((e) => e.msg === 'bundle version failed').length, 1, 'one line per TTL');

    // An instance that never served c1 gives it the document's default, and says so.
    const cold = instance(doc);
    assert.equal((await cold.inject('c1')).hub, 'v1.example');
    const coldFailure = cold.events.find((e) => e.msg === 'bundle version failed') as Record<string, unknown>;
    assert.equal(coldFailure.serving, v1);
  });

  it('Secrets Manager and GCS versions: publish never moves what readers get; the function reads pinned versions', async () => {
    const dirA = bundleDir('sm-a', 'a.example');
    const dirB = bundleDir('sm-b', 'b.example');
    const a = await publishVersion(dirA, 'secretsmanager://rollout/bundles', { format: 'yaml' }, stores.env);
    const b = await publishVersion(dirB, 'secretsmanager://rollout/bundles', { format: 'yaml' }, stores.env);
    assert.match(a.uri, /^secretsmanager:\/\/rollout\/bundles\?versionId=[0-9a-f]{32}$/);
    assert.equal(a.uri.slice(-32, -16), a.id);
    const again = await publishVersion(
      dirA,
      'secretsmanager://rollout/bundles',
      { format: 'yaml' },
      stores.env,
    );
    assert.equal(again.uri, a.uri, 'the same content is the same version');
    // The secret's AWSCURRENT is still the first version: a reader of the plain secret never moved.
    const plain = await configFromEnv(
      { ...stores.env, OUTRIGGER_CONFIG: 'secretsmanager://rollout/bundles' },
      { log: () => {} },
    )('');
    assert.equal((plain.bundle.values.global as Record<string, unknown>).hub, 'a.example');

    const g1 = await publishVersion(dirA, 'gs://outrigger/rollout/', { format: 'yaml' }, stores.env);
    assert.match(g1.uri, /^gs:\/\/outrigger\/rollout\/bundle\.[0-9a-f]{16}\.yaml#\d+$/);
    const g2 = await publishVersion(dirA, 'gs://outrigger/rollout/', { format: 'yaml' }, stores.env);
    assert.equal(g2.uri, g1.uri);
    assert.equal(g2.created, false);
    assert.equal(
      stores.gcs.generations('outrigger', `rollout/bundle.${g1.id}.yaml`).length,
      1,
      'never rewritten',
    );

    // The document itself in Secrets Manager; c1 on the GCS version, everyone else on the SM one.
    const doc = 'secretsmanager://rollout/document';
    await rollout({ command: 'init', to: doc, version: b.uri });
    await rollout({ command: 'start', to: doc, version: g1.uri, waves: [['c1', 'dev-*']] });
    const fn = instance(doc);
    stores.gcs.resetCalls();
    assert.equal((await fn.inject('c1')).hub, 'a.example');
    assert.equal((await fn.inject('dev-7')).hub, 'a.example');
    assert.equal((await fn.inject('prod-1')).hub, 'b.example');
    assert.deepEqual(
      stores.gcs.calls,
      { metadata: 1, media: 1 },
      'a pinned generation: its metadata (size, encoding) and one download, once',
    );
  });

  it('a version overwritten under its content name is refused, by the CLI and by the function', async () => {
    const v1 = await publish(bundleDir('ow-v1', 'v1.example'), 's3://outrigger/ow/bundle.yaml');
    const v2 = await publish(bundleDir('ow-v2', 'v2.example'), 's3://outrigger/ow/bundle.yaml');
    await stores.s3.put(
      'outrigger',
      v2.replace('s3://outrigger/', ''),
      'values: {global: {hub: evil.example}}\n',
    );
    const doc = 's3://outrigger/ow/rollout.yaml';
    await rollout({ command: 'init', to: doc, version: v1 });
    await assert.rejects(
      rollout({ command: 'start', to: doc, version: v2, waves: [['*']] }),
      /it was overwritten/,
    );
    await stores.s3.put('outrigger', 'ow/rollout.yaml', yaml.dump({ kind: 'Rollout', default: v2 }));
    const fn = instance(doc);
    const pod = await fn.config('c1').then(
      () => 'served',
      (err: Error) => err.message,
    );
    assert.match(
      pod,
      /^config unavailable: bundle version s3:\/\/outrigger\/ow\/.* for cluster "c1": .*it was overwritten/,
    );
  });

  it('the commands refuse what makes no sense, naming the fix', async () => {
    const v1 = await publish(bundleDir('cli-v1', 'v1.example'), 's3://outrigger/cli/bundle.yaml');
    const v2 = await publish(bundleDir('cli-v2', 'v2.example'), 's3://outrigger/cli/bundle.yaml');
    const doc = 's3://outrigger/cli/rollout.yaml';
    await assert.rejects(
      rollout({ command: 'next', to: doc }),
      /no rollout document at .*; create one with rollout init/,
    );
    await rollout({ command: 'init', to: doc, version: v1 });
    await assert.rejects(
      rollout({ command: 'init', to: doc, version: v1 }),
      /already holds a rollout document/,
    );
    await assert.rejects(rollout({ command: 'undo', to: doc }), /nothing to undo/);
    await assert.rejects(
      rollout({ command: 'start', to: doc, version: v1, waves: [['c1']] }),
      /already what every cluster gets/,
    );
    await rollout({ command: 'start', to: doc, version: v2, waves: [['c1'], ['c2']] });
    await assert.rejects(
      rollout({ command: 'start', to: doc, version: v1, waves: [['c1']] }),
      /a rollout of .* is in progress \(wave 1 of 3 started\)/,
    );
    await rollout({ command: 'next', to: doc });
    await rollout({ command: 'next', to: doc });
    await assert.rejects(rollout({ command: 'next', to: doc }), /the rollout is complete/);
    const status = await rollout({ command: 'status', to: doc, clusters: ['c1', 'c9'] });
    assert.match(status, /\(complete\)/);
    assert.match(status, /cluster c9: .* \(wave 3\)/);
    // The next rollout builds on the finished one: its version is the new default.
    const v3 = await publish(bundleDir('cli-v3', 'v3.example'), 's3://outrigger/cli/bundle.yaml');
    const next = await rollout({ command: 'start', to: doc, version: v3, waves: [['c1']] });
    assert.ok(next.includes(`default: ${v2}`), next);
  });

  it('what a rollout costs in store calls: the document once per TTL, each new version once per instance', async () => {
    const v1 = await publish(bundleDir('cost-v1', 'v1.example'), 'gs://outrigger/cost/');
    const v2 = await publish(bundleDir('cost-v2', 'v2.example'), 'gs://outrigger/cost/');
    const doc = 'secretsmanager://cost/rollout';
    await rollout({ command: 'init', to: doc, version: v1 });
    const calls = () => ({ sm: stores.sm.totalCalls(), gcs: stores.gcs.totalCalls() });
    stores.sm.resetCalls();
    stores.gcs.resetCalls();
    const fn = instance(doc);
    for (const c of ['c1', 'c2', 'c3']) assert.equal((await fn.inject(c)).hub, 'v1.example');
    // A GCS version is two calls: its metadata (size, encoding), then its content.
    assert.deepEqual(calls(), { sm: 1, gcs: 2 }, 'cold: the document and one version');

    const cli = async (args: Parameters<typeof runRollout>[0]) => {
      const [sm, gcs] = [{ ...stores.sm.calls }, { ...stores.gcs.calls }];
      await rollout(args);
      const spent = { sm: stores.sm.totalCalls(), gcs: stores.gcs.totalCalls() };
      stores.sm.calls = sm;
      stores.gcs.calls = gcs;
      return {
        sm: spent.sm - Object.values(sm).reduce((a, b) => a + b, 0),
        gcs: spent.gcs - Object.values(gcs).reduce((a, b) => a + b, 0),
      };
    };
    // The command: one read of the document, each version it serves read and compiled, one checked write.
    assert.deepEqual(await cli({ command: 'start', to: doc, version: v2, waves: [['c1']] }), {
      sm: 3,
      gcs: 4,
    });
    await afterOneTtl(fn, 'c1', 'v2.example');
    assert.deepEqual(calls(), { sm: 2, gcs: 4 }, 'one document refresh, one new version');
    // status: the document, and each version once (v2 is both the rolled-out and a served version).
    assert.deepEqual(await cli({ command: 'status', to: doc }), { sm: 1, gcs: 4 });
    await cli({ command: 'next', to: doc });
    await afterOneTtl(fn, 'c2', 'v2.example');
    await cli({ command: 'undo', to: doc });
    await afterOneTtl(fn, 'c3', 'v1.example');
    assert.equal((await fn.inject('c1')).hub, 'v1.example');
    assert.deepEqual(
      calls(),
      { sm: 4, gcs: 4 },
      'start, next and undo: one document read per TTL, no version read twice',
    );
  });

  it('the document is cached like a bundle: a store down or a corrupt document keeps the last good one', async () => {
    const v1 = await publish(bundleDir('lkg-v1', 'v1.example'), 's3://outrigger/lkg/');
    const doc = 'secretsmanager://lkg/rollout';
    await rollout({ command: 'init', to: doc, version: v1 });
    const fn = instance(doc);
    assert.equal((await fn.inject('c1')).hub, 'v1.example');
    try {
      for (const mode of ['down', 'corrupt'] as const) {
        stores.sm.mode = mode;
        fn.events.length = 0;
        fn.clock.advance(61);
        assert.equal((await fn.inject('c1')).hub, 'v1.example');
        await until(() => fn.events.some((e) => e.msg === 'config refresh failed'), `the ${mode} refresh`);
        const failed = fn.events.find((e) => e.msg === 'config refresh failed') as Record<string, unknown>;
        assert.equal(failed.serving, 'last-known-good');
        if (mode === 'corrupt') assert.match(String(failed.error), /values: must be a map/);
        assert.equal((await fn.inject('c2')).hub, 'v1.example');
      }
    } finally {
      stores.sm.mode = 'up';
    }
  });

  it('a command writes only over the version it read: a concurrent write is a conflict (GCS, Secrets Manager, files)', async () => {
    const writer = createStores(storeSettingsFromEnv(stores.env));
    for (const uri of [
      'gs://outrigger/conflict/rollout.yaml',
      'secretsmanager://conflict/rollout',
      join(work, 'rollout.yaml'),
    ]) {
      const ref = parseSourceUri(uri);
      const first = await writer.write(ref, 'kind: Rollout\ndefault: /a.yaml\n', null);
      await assert.rejects(
        writer.write(ref, 'kind: Rollout\ndefault: /b.yaml\n', null),
        WriteConflict,
        `${uri}: exists`,
      );
      const second = await writer.write(ref, 'kind: Rollout\ndefault: /b.yaml\n', first);
      await assert.rejects(
        writer.write(ref, 'kind: Rollout\ndefault: /c.yaml\n', first),
        WriteConflict,
        `${uri}: stale`,
      );
      const read = await writer.source(ref).fetch(undefined);
      assert.ok(read !== 'unchanged' && read.version === second && read.text?.includes('/b.yaml'), uri);
    }
  });
});
