// lib/auth/stored-keys.ts and OUTRIGGER_AUTH_KEYS as a source URI: the keys are read, refreshed and kept
// as the config is, and a request waits for them only on a cold start, before its body is read.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { authFromEnv } from '../../lib/auth/from-env.ts';
import { secretHash } from '../../lib/auth/secret-hash.ts';
import type { Authorizer, AuthVerdict } from '../../lib/auth/verify.ts';
import { createHandler } from '../../lib/http/handle.ts';
import { fakeClock, startStores, type TestStores, until } from '../../harness/stores.ts';

let stores: TestStores;
let dir: string;
before(async () => {
  stores = await startStores();
  dir = mkdtempSync(join(tmpdir(), 'outrigger-keys-'));
});
after(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

const S1 = 'c1-secret-0123456789abcdef';
const S1_NEXT = 'c1-secret-next-0123456789';
const keysOf = (doc: Record<string, string[]>) =>
  JSON.stringify(
    Object.fromEntries(Object.entries(doc).map(([c, secrets]) => [c, secrets.map((s) => secretHash(c, s))])),
  );
const ALLOWED = { allowed: true };
const UNAUTHORIZED = { allowed: false, status: 401, reason: 'unauthorized' };
const UNAVAILABLE = { allowed: false, status: 503, reason: 'caller keys unavailable; see the injector log' };

/** An instance's authorizer over `uri` under a fake clock, with its log entries. */
function instance(uri: string, env: Record<string, string> = {}) {
  const clock = fakeClock();
  const logs: Record<string, unknown>[] = [];
  const auth = authFromEnv(
    { ...stores.env, OUTRIGGER_AUTH_KEYS: uri, ...env },
    { now: clock.now, log: (e) => logs.push(e) },
  );
  assert.ok(auth.ok, JSON.stringify(auth));
  const authorize = auth.authorize as Authorizer;
  return { authorize, clock, logs, check: async (secret: string) => authorize('c1', [secret, undefined]) };
}

describe('OUTRIGGER_AUTH_KEYS from a store', () => {
  it('a cold start waits for the one fetch; then the keys answer at once, without a promise', async () => {
    stores.sm.put('keys/cold', keysOf({ c1: [S1] }));
    stores.sm.resetCalls();
    const { authorize } = instance('secretsmanager://keys/cold');
    const first = [authorize('c1', [S1, undefined]), authorize('c1', ['wrong', undefined])];
    assert.ok(first.every((v) => v instanceof Promise));
    assert.deepEqual(await Promise.all(first), [ALLOWED, UNAUTHORIZED]);
    assert.equal(stores.sm.calls.GetSecretValue, 1, 'one fetch for both');
    assert.deepEqual(authorize('c1', [S1, undefined]), ALLOWED);
  });

  it('a rotation and a new cluster are picked up after the TTL; a removed secret is refused', async () => {
    stores.sm.put('keys/rotate', keysOf({ c1: [S1] }));
    const { authorize, clock, logs, check } = instance('secretsmanager://keys/rotate');
    assert.deepEqual(await check(S1), ALLOWED);
    stores.sm.put('keys/rotate', keysOf({ c1: [S1_NEXT, S1], c2: ['c2-secret-0123456789abcd'] }));
    clock.advance(61);
    assert.deepEqual(await check(S1_NEXT), UNAUTHORIZED, 'answered from the keys held while refreshing');
    await until(() => logs.filter((e) => e.msg === 'auth keys loaded').length === 2, 'the refresh');
    assert.deepEqual(await check(S1_NEXT), ALLOWED);
    assert.deepEqual(await check(S1), ALLOWED);
    assert.deepEqual(await authorize('c2', ['c2-secret-0123456789abcd', undefined]), ALLOWED);

    stores.sm.put('keys/rotate', keysOf({ c1: [S1_NEXT] }));
    clock.advance(61);
    await check(S1);
    await until(() => logs.filter((e) => e.msg === 'auth keys loaded').length === 3, 'the second refresh');
    assert.deepEqual(await check(S1), UNAUTHORIZED);
    assert.deepEqual(await check(S1_NEXT), ALLOWED);
  });

  it('keeps the last good keys while the store fails or holds a bad document, until max stale', async () => {
    stores.gcs.put('outrigger-config', 'keys/stale.json', keysOf({ c1: [S1] }));
    const { clock, logs, check } = instance('gs://outrigger-config/keys/stale.json', {
      OUTRIGGER_CONFIG_MAX_STALE: '3600',
    });
    assert.deepEqual(await check(S1), ALLOWED);
    stores.gcs.put('outrigger-config', 'keys/stale.json', '{"c1":"sk-pasted-secret"}');
    clock.advance(61);
    await check(S1);
    await until(() => logs.some((e) => e.msg === 'auth keys refresh failed'), 'the failed refresh');
    const failed = logs.find((e) => e.msg === 'auth keys refresh failed') as Record<string, unknown>;
    assert.equal(failed.serving, 'last-known-good');
    assert.match(
      String(failed.error),
      /OUTRIGGER_AUTH_KEYS \(gs:\/\/outrigger-config\/keys\/stale.json\)\["c1"\] is not a sha256 hash/,
    );
    assert.doesNotMatch(JSON.stringify(logs), /sk-pasted-secret/, 'a secret pasted by mistake is not logged');
    assert.deepEqual(await check(S1), ALLOWED, 'the last good keys');

    stores.gcs.mode = 'down';
    try {
      clock.advance(3600);
      assert.deepEqual(await check(S1), UNAVAILABLE, 'past max stale, with the store down');
    } finally {
      stores.gcs.mode = 'up';
    }
  });

  it('a key file is read at start: a bad one fails the deployment; a good one is re-read after the TTL', async () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, 'not json');
    assert.deepEqual(authFromEnv({ OUTRIGGER_AUTH_KEYS: file }), {
      ok: false,
      error: `OUTRIGGER_AUTH_KEYS: OUTRIGGER_AUTH_KEYS (${file}) is not JSON; want {"<cluster>":"sha256:<64 hex digits>"} (make one with: outrigger auth-hash --cluster <cluster>)`,
    });
    const missing = authFromEnv({ OUTRIGGER_AUTH_KEYS: join(dir, 'nope.json') });
    assert.ok(!missing.ok && /nope\.json.*ENOENT/.test(missing.error), JSON.stringify(missing));
    assert.ok(!authFromEnv({ OUTRIGGER_AUTH_KEYS: 'ftp://x/y' }).ok, 'an unknown scheme');

    writeFileSync(file, keysOf({ c1: [S1] }));
    const { clock, logs, check } = instance(`file://${file}`);
    assert.deepEqual(await check(S1), ALLOWED, 'loaded at start, no wait');
    writeFileSync(file, keysOf({ c1: [S1_NEXT] }));
    clock.advance(61);
    await check(S1);
    await until(() => logs.filter((e) => e.msg === 'auth keys loaded').length === 2, 'the re-read');
    assert.deepEqual(await check(S1), UNAUTHORIZED);
    assert.deepEqual(await check(S1_NEXT), ALLOWED);
  });

  it('the webhook decides from the head: a cold start answers 401 or admits before any body is read', async () => {
    await stores.s3.put('outrigger', 'keys/head.json', keysOf({ c1: [S1] }));
    const { authorize } = instance('s3://outrigger/keys/head.json');
    const handler = createHandler({
      revision: '',
      config: async () => assert.fail('no config needed'),
      authorize,
    });
    const head = (path: string) =>
      handler.head({ method: 'POST', path, headers: { 'content-type': 'application/json' } });
    const refused = head('/inject/cluster/c1/key/wrong');
    const admitted = head(`/inject/cluster/c1/key/${S1}`);
    assert.ok(refused instanceof Promise && admitted instanceof Promise);
    assert.equal((await refused).answer?.status, 401);
    assert.equal((await admitted).answer, undefined);
    assert.equal(
      (head('/inject/cluster/c1/key/wrong') as { answer?: { status: number } }).answer?.status,
      401,
    );
  });

  it('a cold start with the store down: every caller gets 503 and the log says why', async () => {
    stores.sm.mode = 'down';
    try {
      const { check, logs } = instance('secretsmanager://keys/never');
      const verdict: AuthVerdict = await check(S1);
      assert.deepEqual(verdict, UNAVAILABLE);
      const failed = logs.find((e) => e.msg === 'auth keys refresh failed') as Record<string, unknown>;
      assert.equal(failed.serving, 'nothing');
      assert.match(String(failed.error), /secretsmanager:\/\/keys\/never/);
    } finally {
      stores.sm.mode = 'up';
    }
  });
});
