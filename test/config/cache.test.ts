import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileBundle, type InjectorConfig } from '../../lib/config/compile.ts';
import { configFromEnv } from '../../lib/config/from-env.ts';
import { fakeClock, startStores, type TestStores, until } from '../../harness/stores.ts';

let stores: TestStores;
before(async () => {
  stores = await startStores();
});
after(() => stores.close());

/** A function instance under a fake clock, counting compiles and keeping its log entries. */
function instance(uris: string, env: Record<string, string> = {}) {
  const clock = fakeClock();
  const logs: Record<string, unknown>[] = [];
  const counts = { compiles: 0 };
  const lookup = configFromEnv(
    { ...stores.env, OUTRIGGER_CONFIG: uris, ...env },
    {
      now: clock.now,
      log: (entry) => logs.push(entry),
      compile: (...args) => {
        counts.compiles++;
        return compileBundle(...args);
      },
    },
  );
  return { lookup, clock, logs, counts };
}

function hub(config: InjectorConfig): unknown {
  return (config.bundle.values.global as Record<string, unknown>).hub;
}

describe('config cache', () => {
  it('answers from memory within the TTL; after it, answers stale and refreshes once in the background', async () => {
    stores.sm.put('cache/ttl', 'values: {global: {hub: v1.example}}');
    stores.sm.resetCalls();
    const { lookup, clock, counts } = instance('secretsmanager://cache/ttl');
    assert.equal(hub(await lookup('')), 'v1.example');
    assert.equal(stores.sm.calls.GetSecretValue, 1);

    stores.sm.put('cache/ttl', 'values: {global: {hub: v2.example}}');
    clock.advance(59);
    assert.equal(hub(await lookup('')), 'v1.example', 'within the TTL nothing is fetched');
    assert.equal(stores.sm.calls.GetSecretValue, 1);

    clock.advance(2);
    assert.equal(hub(await lookup('')), 'v1.example', 'the request after the TTL gets the cached copy');
    await until(() => counts.compiles === 2, 'the background refresh');
    assert.equal(stores.sm.calls.GetSecretValue, 2);
    assert.equal(hub(await lookup('')), 'v2.example');
    assert.equal(stores.sm.calls.GetSecretValue, 2, 'the next refresh waits for the next TTL');
  });

  it('honours OUTRIGGER_CONFIG_TTL', async () => {
    stores.sm.put('cache/short', 'values: {}');
    stores.sm.resetCalls();
    const { lookup, clock } = instance('secretsmanager://cache/short', { OUTRIGGER_CONFIG_TTL: '5' });
    await lookup('');
    clock.advance(4);
    await lookup('');
    assert.equal(stores.sm.calls.GetSecretValue, 1);
    clock.advance(1);
    await lookup('');
    await until(() => stores.sm.calls.GetSecretValue === 2, 'the refresh after 5 s');
  });

  it('20 concurrent cold requests share one fetch per source', async () => {
    stores.sm.put('cache/flight', 'values: {global: {hub: flight.example}}');
    stores.gcs.put('outrigger', 'flight.yaml', 'mesh: {trustDomain: flight.local}');
    stores.sm.resetCalls();
    stores.gcs.resetCalls();
    const { lookup, counts } = instance('gs://outrigger/flight.yaml,secretsmanager://cache/flight');
    const configs = await Promise.all(Array.from({ length: 20 }, () => lookup('')));
    assert.ok(
      configs.every((c) => c === configs[0]),
      'every request gets the same compiled config',
    );
    assert.deepEqual(stores.sm.calls, { GetSecretValue: 1 });
    assert.deepEqual(stores.gcs.calls, { metadata: 1, media: 1 });
    assert.equal(counts.compiles, 1);
    assert.equal(configs[0]?.bundle.mesh.trustDomain, 'flight.local');
  });

  it('starts one background refresh however many requests arrive while it runs', async () => {
    stores.sm.put('cache/bg', 'values: {}');
    stores.sm.resetCalls();
    // A store a second slow, well inside a 5 s client timeout: a request that waited for it would take
    // a second, so half of one leaves a loaded machine its margin.
    const { lookup, clock, logs } = instance('secretsmanager://cache/bg', { OUTRIGGER_CONFIG_TIMEOUT: '5' });
    await lookup('');
    clock.advance(61);
    stores.sm.mode = 'slow';
    stores.sm.slowMs = 1000;
    try {
      const started = performance.now();
      await Promise.all(Array.from({ length: 20 }, () => lookup('')));
      await Promise.all(Array.from({ length: 20 }, () => lookup('')));
      assert.ok(performance.now() - started < 500, 'no request waits for the refresh');
      await until(() => stores.sm.calls.GetSecretValue === 2, 'the refresh to reach the store');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal(stores.sm.calls.GetSecretValue, 2);
      assert.deepEqual(
        logs.filter((l) => l.level === 'error'),
        [],
      );
    } finally {
      stores.sm.mode = 'up';
    }
  });

  it('does not parse or compile again when every version is unchanged; only a new version does', async () => {
    stores.sm.put('cache/same', 'values: {global: {hub: same.example}}');
    stores.gcs.put('outrigger', 'same.yaml', 'mesh: {trustDomain: same.local}');
    stores.sm.resetCalls();
    stores.gcs.resetCalls();
    const { lookup, clock, counts, logs } = instance('gs://outrigger/same.yaml,secretsmanager://cache/same');
    const first = await lookup('');

    clock.advance(61);
    await lookup('');
    await until(() => stores.sm.calls.GetSecretValue === 2, 'the refresh');
    await until(() => stores.gcs.calls.metadata === 2, 'the refresh');
    assert.equal(counts.compiles, 1);
    assert.equal(stores.gcs.calls.media, 1, 'an unchanged generation is not downloaded');
    assert.equal(await lookup(''), first, 'the same compiled config keeps serving');

    stores.sm.put('cache/same', 'values: {global: {hub: changed.example}}');
    // The unchanged refresh above may still be settling; a request past the TTL once it has starts the next.
    await until(() => {
      clock.advance(61);
      void lookup('');
      return counts.compiles === 2;
    }, 'the recompile');
    const second = await lookup('');
    assert.equal(hub(second), 'changed.example');
    assert.equal(second.bundle.mesh.trustDomain, 'same.local');
    assert.equal(stores.gcs.calls.media, 1, 'the unchanged layer is reused, not downloaded');
    assert.deepEqual(
      logs.map((l) => l.msg),
      ['config loaded', 'config loaded'],
    );
  });

  it('loads a local file at start-up and picks up an edit after the TTL', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-cache-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'bundle.yaml');
    writeFileSync(file, 'values: {global: {hub: a.example}}\n');
    const { lookup, clock, counts } = instance(file);
    assert.equal(counts.compiles, 1, 'compiled while the module initialises');
    assert.equal(hub(await lookup('')), 'a.example');
    writeFileSync(file, 'values: {global: {hub: b.example}}\n');
    clock.advance(61);
    await lookup('');
    await until(() => counts.compiles === 2, 'the file refresh');
    assert.equal(hub(await lookup('')), 'b.example');
  });
});
