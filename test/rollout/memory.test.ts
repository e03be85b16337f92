import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import yaml from 'js-yaml';
import { publishVersion } from '../../lib/cli/publish.ts';
import { configFromEnv } from '../../lib/config/from-env.ts';
import { profileBundle } from '../../lib/profile/registry.ts';
import { LAST_GOOD_BYTES, MAX_VERSION_BYTES, MAX_VERSIONS } from '../../lib/rollout/serve.ts';
import { startStores, type TestStores } from '../../harness/stores.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const VERSIONS = 40;
const CLUSTERS_PER_VERSION = 125; // 5,000 cluster ids

let stores: TestStores;
let work: string;
before(async () => {
  stores = await startStores();
  work = mkdtempSync(join(tmpdir(), 'outrigger-rollout-memory-'));
});
after(async () => {
  await stores.close();
  rmSync(work, { recursive: true, force: true });
});

function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('rollout memory: thousands of cluster ids, dozens of versions', () => {
  it(`${VERSIONS} versions and ${VERSIONS * CLUSTERS_PER_VERSION} clusters stay within the stated bound`, async (t) => {
    // Each version its own values and its own template text, so no two compile to shared templates.
    const versions: string[] = [];
    for (let v = 0; v < VERSIONS; v++) {
      const dir = join(work, `v${v}`);
      mkdirSync(join(dir, 'templates'), { recursive: true });
      writeFileSync(join(dir, 'values.yaml'), `global:\n  hub: v${v}.example/istio\n`);
      writeFileSync(join(dir, 'config.yaml'), 'defaultTemplates: [sidecar, marker]\n');
      writeFileSync(
        join(dir, 'templates', 'marker.liquid'),
        `metadata:\n  annotations:\n    example.com/version-${v}: {{ values.global.hub }}\n`,
      );
      versions.push(
        (await publishVersion(dir, 's3://outrigger/memory/', { format: 'yaml' }, stores.env)).uri,
      );
    }
    // Every version at once: each pinned to its own clusters (the waves would hold two at most).
    const doc = {
      kind: 'Rollout',
      default: versions[0],
      pinned: versions.map((version, v) => ({ clusters: [`c${v}-*`], version })),
    };
    await stores.s3.put('outrigger', 'memory/rollout.yaml', yaml.dump(doc));

    const before = heapMiB();
    const logs: Record<string, unknown>[] = [];
    const lookup = configFromEnv(
      { ...stores.env, OUTRIGGER_CONFIG: 's3://outrigger/memory/rollout.yaml' },
      { log: (e) => logs.push(e) },
    );
    const hub = async (cluster: string) =>
      ((await lookup(cluster)).bundle.values.global as Record<string, unknown>).hub;
    for (let v = 0; v < VERSIONS; v++) {
      for (let n = 0; n < CLUSTERS_PER_VERSION; n++) {
        assert.equal(await hub(`c${v}-${n}`), `v${v}.example/istio`);
      }
    }
    // Back to the first versions, long evicted: each compiles again, once.
    for (let v = 0; v < 8; v++) assert.equal(await hub(`c${v}-0`), `v${v}.example/istio`);
    const stats = lookup.rolloutStats();
    const after = heapMiB();
    const grown = after - before;
    t.diagnostic(
      `heap ${before.toFixed(1)} → ${after.toFixed(1)} MiB (+${grown.toFixed(1)}); ${stats.versions} versions held ` +
        `(estimate ${(stats.versionBytes / 2 ** 20).toFixed(1)} MiB), ${stats.loads} loads, ${stats.evictions} evictions; ` +
        `${stats.lastGood} clusters' last good version (${(stats.lastGoodBytes / 2 ** 10).toFixed(0)} KiB)`,
    );
    assert.equal(stats.versions, MAX_VERSIONS);
    assert.equal(
      stats.loads,
      VERSIONS + 8,
      'each version compiled once while it stayed, again after eviction',
    );
    assert.ok(stats.versionBytes <= MAX_VERSION_BYTES);
    assert.equal(stats.lastGood, VERSIONS * CLUSTERS_PER_VERSION);
    assert.ok(stats.lastGoodBytes <= LAST_GOOD_BYTES);
    // The stated bound: the version estimate's bound plus the last-good bound; the measured heap growth
    // must stay under it (the estimate rounds the measured cost per compiled version up).
    const bound = (MAX_VERSION_BYTES + LAST_GOOD_BYTES) / 2 ** 20;
    assert.ok(grown < bound, `heap grew ${grown.toFixed(1)} MiB, over the ${bound} MiB bound`);
    assert.ok(
      grown < (stats.versionBytes + stats.lastGoodBytes) / 2 ** 20 + 4,
      'the estimate covers the heap',
    );
    assert.equal(logs.filter((l) => l.level === 'error').length, 0);
  });

  it('a version with revisions on other profiles and cluster overlays stays within its estimate', async (t) => {
    // Every config of the version compiled: the base, each cluster's, and each revision of each. The
    // revisions name other Istio releases, whose templates only this version parses.
    const dir = join(work, 'revisions');
    mkdirSync(dir, { recursive: true });
    const CLUSTERS = 20;
    const clusters = Object.fromEntries(
      Array.from({ length: CLUSTERS }, (_, n) => [`r${n}`, { values: { global: { network: `net-${n}` } } }]),
    );
    const revisions = {
      '1-28': { profile: 'istio-1.28', values: { global: { tag: '1.28.10' } } },
      '1-29': { profile: 'istio-1.29', values: { global: { tag: '1.29.6' } } },
      next: { profile: 'istio-master', values: { global: { tag: 'master' } } },
      canary: { values: { global: { tag: 'canary' } } },
    };
    writeFileSync(join(dir, 'config.yaml'), yaml.dump({ clusters, revisions }));
    writeFileSync(join(dir, 'values.yaml'), 'global:\n  hub: revisions.example/istio\n');
    const version = (
      await publishVersion(dir, 's3://outrigger/memory/revisions/', { format: 'yaml' }, stores.env)
    ).uri;
    await stores.s3.put(
      'outrigger',
      'memory/revisions/rollout.yaml',
      yaml.dump({ kind: 'Rollout', default: version }),
    );
    // The embedded profiles are the process's, read once whatever versions name them: not this version's.
    for (const name of ['istio-1.28', 'istio-1.29', 'istio-master']) profileBundle(name);

    const before = heapMiB();
    const lookup = configFromEnv(
      { ...stores.env, OUTRIGGER_CONFIG: 's3://outrigger/memory/revisions/rollout.yaml' },
      { log: () => {} },
    );
    const tags = new Set<unknown>();
    for (const cluster of ['', ...Object.keys(clusters)]) {
      const config = await lookup(cluster);
      for (const name of Object.keys(revisions)) {
        const revision = config.revision?.(name);
        assert.ok(revision, `${cluster} ${name}`);
        tags.add((revision.bundle.values.global as Record<string, unknown>).tag);
      }
    }
    assert.deepEqual([...tags].sort(), ['1.28.10', '1.29.6', 'canary', 'master']);
    const stats = lookup.rolloutStats();
    const grown = heapMiB() - before;
    const estimate = stats.versionBytes / 2 ** 20;
    t.diagnostic(
      `heap +${grown.toFixed(2)} MiB for ${(CLUSTERS + 1) * (1 + Object.keys(revisions).length)} configs; estimate ${estimate.toFixed(2)} MiB`,
    );
    assert.equal(stats.versions, 1);
    assert.ok(
      grown < estimate,
      `heap grew ${grown.toFixed(2)} MiB, over the ${estimate.toFixed(2)} MiB estimate`,
    );
  });

  it('the last-good record is bounded by bytes however many cluster ids arrive', async () => {
    const dir = join(work, 'one');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'values.yaml'), 'global:\n  hub: one.example/istio\n');
    const version = (await publishVersion(dir, 's3://outrigger/memory/one/', { format: 'yaml' }, stores.env))
      .uri;
    await stores.s3.put(
      'outrigger',
      'memory/one/rollout.yaml',
      yaml.dump({ kind: 'Rollout', default: version }),
    );
    const lookup = configFromEnv(
      { ...stores.env, OUTRIGGER_CONFIG: 's3://outrigger/memory/one/rollout.yaml' },
      { log: () => {} },
    );
    for (let n = 0; n < 30_000; n++) await lookup(`cluster-with-a-longer-id-${n}`);
    const stats = lookup.rolloutStats();
    assert.ok(stats.lastGoodBytes <= LAST_GOOD_BYTES, `${stats.lastGoodBytes}`);
    assert.ok(stats.lastGood < 30_000 && stats.lastGood > 10_000, `${stats.lastGood} kept`);
    assert.equal(stats.loads, 1);
  });
});
