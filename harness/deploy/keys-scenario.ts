// What every artifact must do with caller keys kept in a store (OUTRIGGER_AUTH_KEYS=<source URI>): a
// fleet of 1,000 clusters authenticated from the store, a rotation and a new cluster picked up within a
// few TTLs without a restart, and the last good keys kept while the store fails. Written once; each
// artifact test supplies how to call it.
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { it } from 'node:test';
import { secretHash } from '../../lib/auth/secret-hash.ts';
import type { TestStores } from '../stores.ts';
import { deploymentPod, review } from '../support/reviews.ts';
import type { HttpArtifact } from './isolated.ts';
import { httpInjector, type Injector, TTL, withOutput } from './store-scenario.ts';

/** Clusters in the stored key document: as many as a large fleet runs. */
export const FLEET = 1000;

const id = (i: number) => `k${String(i).padStart(4, '0')}`;
const secretOf = (cluster: string, generation = 1) => `${cluster}-secret-${generation}-0123456789abcdef`;

/** The key document of `clusters` clusters, with any cluster's hashes replaced by `override`. */
export function fleetKeys(clusters = FLEET, override: Record<string, string[]> = {}): string {
  const doc: Record<string, string | string[]> = {};
  for (let i = 0; i < clusters; i++) doc[id(i)] = secretHash(id(i), secretOf(id(i)));
  for (const [cluster, secrets] of Object.entries(override))
    doc[cluster] = secrets.map((s) => secretHash(cluster, s));
  return JSON.stringify(doc);
}

/** Where an artifact reads its keys from, and how the test changes or breaks it. */
export interface KeysStore {
  name: string;
  uri: string;
  put(text: string): Promise<void>;
  /** The next reads fail (the fake stores stop answering; S3 and a file get a document that is not JSON). */
  fail(): Promise<void>;
  restore(): void;
}

export function keysStores(
  stores: TestStores,
  tag: string,
  dir: string,
): Record<'s3' | 'secretsmanager' | 'gcs' | 'file', KeysStore> {
  const key = `${tag}/auth-keys.json`;
  const file = `${dir}/auth-keys.json`;
  const putFile = (text: string) => {
    // As a mounted secret changes: a new file swapped in whole.
    writeFileSync(`${file}.new`, text);
    renameSync(`${file}.new`, file);
  };
  return {
    s3: {
      name: 's3',
      uri: `s3://outrigger/${key}`,
      put: async (text) => void (await stores.s3.put('outrigger', key, text)),
      fail: async () => void (await stores.s3.put('outrigger', key, 'not json')),
      restore: () => {},
    },
    secretsmanager: {
      name: 'secretsmanager',
      uri: `secretsmanager://outrigger/${tag}-auth-keys`,
      put: async (text) => void stores.sm.put(`outrigger/${tag}-auth-keys`, text),
      fail: async () => void (stores.sm.mode = 'down'),
      restore: () => void (stores.sm.mode = 'up'),
    },
    gcs: {
      name: 'gcs',
      uri: `gs://outrigger-config/${key}`,
      put: async (text) => void stores.gcs.put('outrigger-config', key, text),
      fail: async () => void (stores.gcs.mode = 'down'),
      restore: () => void (stores.gcs.mode = 'up'),
    },
    file: {
      name: 'file',
      uri: file,
      put: async (text) => putFile(text),
      fail: async () => putFile('not json'),
      restore: () => {},
    },
  };
}

export interface KeysReport {
  store: string;
  /** The first request of the instance, which waited for the keys' first load (remote stores). */
  firstMs: number;
  /** A wrong secret, refused after every cluster's digest was tried (the 403 check). */
  refusedMs: number;
  rotatedMs: number;
  revokedMs: number;
  failureLogged: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let uids = 0;

/** An answer's status, and whether it is an allowed review for this request. */
async function call(target: Injector, cluster: string, secret: string, how: 'path' | 'bearer' = 'path') {
  const uid = `keys-${++uids}`;
  const body = JSON.stringify(review(deploymentPod('keys'), { uid }));
  const answer =
    how === 'path'
      ? await target.post(`/inject/cluster/${cluster}/key/${secret}`, body)
      : await target.post(`/inject/cluster/${cluster}`, body, { authorization: `Bearer ${secret}` });
  if (answer.status !== 200) return answer.status;
  const parsed = JSON.parse(answer.body) as {
    response?: { uid?: string; allowed?: boolean; patch?: string };
  };
  assert.equal(parsed.response?.uid, uid, answer.body);
  assert.ok(parsed.response?.allowed && parsed.response.patch, `not injected: ${answer.body}`);
  return 200;
}

async function within(what: string, ttl: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    assert.ok(Date.now() - start < 30 * ttl * 1000, `${what}: not seen ${30 * ttl} s later`);
    await sleep(50);
  }
  return Date.now() - start;
}

/**
 * The scenario on a target started with OUTRIGGER_AUTH_KEYS=store.uri after `store.put(fleetKeys())`,
 * its config the embedded default. Every assertion's message carries the artifact's output.
 */
export async function keysScenario(target: Injector, store: KeysStore): Promise<KeysReport> {
  const last = id(FLEET - 1);
  try {
    let t = performance.now();
    assert.equal(await call(target, last, secretOf(last)), 200, 'the last of 1,000 clusters');
    const firstMs = performance.now() - t;
    assert.equal(await call(target, id(0), secretOf(id(0)), 'bearer'), 200, 'the first, by bearer token');
    t = performance.now();
    assert.equal(await call(target, id(1), 'not-the-secret'), 401, 'a wrong secret');
    const refusedMs = performance.now() - t;
    assert.equal(await call(target, id(2), secretOf(id(1))), 403, "another cluster's secret");
    assert.equal(await call(target, 'k9999', secretOf('k9999')), 401, 'a cluster not in the store');

    // Rotation: the new secret beside the old one, and a cluster added, in one write to the store.
    const rotating = id(500);
    const [old, next] = [secretOf(rotating), secretOf(rotating, 2)];
    const added = id(FLEET);
    await store.put(fleetKeys(FLEET + 1, { [rotating]: [next, old] }));
    const rotatedMs = await within('the new secret and the added cluster', TTL, async () => {
      return (
        (await call(target, rotating, next)) === 200 && (await call(target, added, secretOf(added))) === 200
      );
    });
    assert.equal(await call(target, rotating, old), 200, 'the old secret while both are listed');
    // The old one removed: refused from then on, the new one still good.
    await store.put(fleetKeys(FLEET + 1, { [rotating]: [next] }));
    const revokedMs = await within('the old secret refused', TTL, async () => {
      return (await call(target, rotating, old)) === 401;
    });
    assert.equal(await call(target, rotating, next, 'bearer'), 200, 'the new secret after the rotation');

    // The store fails: once a refresh has failed (logged), the last good keys still decide.
    const failures = () =>
      target
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"msg":"auth keys refresh failed"'));
    const logged = failures().length;
    await store.fail();
    // Requests start the refreshes; each is answered from the last good keys meanwhile.
    await within('an "auth keys refresh failed" line', TTL, async () => {
      assert.equal(await call(target, last, secretOf(last)), 200, 'the last good keys while the store fails');
      return failures().length > logged;
    });
    assert.equal(await call(target, last, secretOf(last)), 200, 'the last good keys while the store fails');
    assert.equal(await call(target, rotating, old), 401, 'the revoked secret while the store fails');
    const failureLogged = failures().at(-1) ?? '';
    assert.match(failureLogged, /"serving":"last-known-good"/);
    return { store: store.name, firstMs, refusedMs, rotatedMs, revokedMs, failureLogged };
  } catch (err) {
    throw withOutput(err, target.describe());
  } finally {
    store.restore();
  }
}

/** One line for the test's diagnostics. */
export function keysSummary(label: string, r: KeysReport): string {
  return (
    `${label} × ${r.store}, ${FLEET} clusters: first request ${r.firstMs.toFixed(0)} ms, ` +
    `a wrong secret refused in ${r.refusedMs.toFixed(1)} ms; rotation and a new cluster seen in ${r.rotatedMs} ms, ` +
    `the old secret refused ${r.revokedMs} ms after its removal; the store failed → last good keys`
  );
}

/**
 * One test for an HTTP artifact: `start` it with OUTRIGGER_AUTH_KEYS set to the store's URI (the
 * environment `env` adds), then run the keys scenario through it.
 */
export function itAuthenticatesFromStore(
  label: string,
  store: () => KeysStore,
  start: (env: Record<string, string>) => Promise<HttpArtifact>,
): void {
  it(`${FLEET} clusters' keys from a store: a rotation and a new cluster without a restart, the last good keys while the store fails`, async (t) => {
    const keys = store();
    await keys.put(fleetKeys());
    const server = await start({ OUTRIGGER_AUTH_KEYS: keys.uri });
    try {
      t.diagnostic(keysSummary(label, await keysScenario(httpInjector(label, server), keys)));
    } finally {
      await server.stop();
    }
  });
}
