import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bearerToken } from '../../lib/auth/bearer.ts';
import { authFromEnv } from '../../lib/auth/from-env.ts';
import { parseClusterKeys } from '../../lib/auth/keys.ts';
import { takePathKey } from '../../lib/auth/path-key.ts';
import { secretFromInput } from '../../lib/auth/read-secret.ts';
import { secretHash } from '../../lib/auth/secret-hash.ts';
import { createAuthorizer, FORBIDDEN_CHECK_DIGESTS_PER_SECOND } from '../../lib/auth/verify.ts';
import { compileBundle } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { createHandler } from '../../lib/http/handle.ts';
import { parseInjectEnvs } from '../../lib/path/params.ts';

const config = compileBundle(DEFAULT_BUNDLE, 'default');

describe('takePathKey: the secret leaves the path in every spelling the path grammar reads', () => {
  const cases: [string, string, string | undefined][] = [
    ['/inject', '/inject', undefined],
    ['/inject/', '/inject/', undefined],
    ['/inject/cluster/c1/net/n1', '/inject/cluster/c1/net/n1', undefined],
    ['/inject/cluster/c1/key/s3cret/net/n1', '/inject/cluster/c1/net/n1', 's3cret'],
    ['/inject/key/s3cret/cluster/c1/', '/inject/cluster/c1', 's3cret'],
    ['/inject/cluster/c1/key/s3cret', '/inject/cluster/c1', 's3cret'],
    ['/inject/key/s3cret', '/inject', 's3cret'],
    ['/inject/cluster/c1/KEY/s3cret', '/inject/cluster/c1', 's3cret'],
    ['/inject/cluster/c1/Key/a/key/b', '/inject/cluster/c1', 'b'],
    // An odd trailing key has no value: nothing to take, nothing the grammar would use.
    ['/inject/cluster/c1/key', '/inject/cluster/c1', undefined],
    // Out of step with the pairs, `key` is a value (the cluster's name), not a key.
    ['/inject/cluster/key/s3cret', '/inject/cluster/key/s3cret', undefined],
    ['/inject/:ENV:cluster=c1:ENV:key=s3cret:ENV:net=n1', '/inject/:ENV:cluster=c1:ENV:net=n1', 's3cret'],
    ['/inject/:ENV:key=s3cret', '/inject', 's3cret'],
  ];
  for (const [path, rest, key] of cases) {
    it(`${path} → ${rest} + ${key}`, () => {
      assert.deepEqual(takePathKey(path), { path: rest, key });
    });
  }

  it('what remains never turns the secret into proxy environment', () => {
    for (const [path, , key] of cases) {
      const envs = parseInjectEnvs(takePathKey(path).path);
      assert.equal(envs.KEY, undefined, path);
      if (key) assert.ok(!Object.values(envs).includes(key), path);
    }
  });
});

describe('bearerToken', () => {
  it('reads RFC 6750 headers, scheme in any case', () => {
    assert.equal(bearerToken('Bearer abc.def-123'), 'abc.def-123');
    assert.equal(bearerToken('bearer  abc '), 'abc');
    assert.equal(bearerToken('Basic dXNlcjpwYXNz'), undefined);
    assert.equal(bearerToken('Bearer'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});

describe('secretHash', () => {
  it('is sha256 of "<cluster>:<secret>", as printf | sha256sum gives it', () => {
    const expected = createHash('sha256').update('c1:0123456789abcdef').digest('hex');
    assert.equal(secretHash('c1', '0123456789abcdef'), `sha256:${expected}`);
    assert.notEqual(secretHash('c2', '0123456789abcdef'), secretHash('c1', '0123456789abcdef'));
  });
});

describe('parseClusterKeys: errors say what is wrong and how to make a right one', () => {
  const HOW =
    '{"<cluster>":"sha256:<64 hex digits>"} (make one with: outrigger auth-hash --cluster <cluster>)';
  it('reads one hash or a list (rotation) per cluster', () => {
    const a = secretHash('c1', 'x'.repeat(16));
    const b = secretHash('c1', 'y'.repeat(16));
    const parsed = parseClusterKeys(JSON.stringify({ c1: [a, b], c2: a }));
    assert.ok(parsed.ok);
    assert.equal(parsed.keys.get('c1')?.length, 2);
    assert.equal(parsed.keys.get('c2')?.length, 1);
  });
  it('not JSON', () => {
    assert.deepEqual(parseClusterKeys('{c1:'), {
      ok: false,
      error: `OUTRIGGER_AUTH_KEYS is not JSON; want ${HOW}`,
    });
  });
  it('not an object', () => {
    assert.deepEqual(parseClusterKeys('["sha256:00"]'), {
      ok: false,
      error: `OUTRIGGER_AUTH_KEYS is not a JSON object; want ${HOW}`,
    });
  });
  it('a plain secret instead of its hash', () => {
    assert.deepEqual(parseClusterKeys('{"c1":"my-secret"}'), {
      ok: false,
      error: `OUTRIGGER_AUTH_KEYS["c1"] is not a sha256 hash (a secret pasted by mistake is not shown); want ${HOW}`,
    });
  });
});

describe('createAuthorizer', () => {
  const s1 = 'one-0123456789abcdef';
  const s2 = 'two-0123456789abcdef';
  const keys = parseClusterKeys(JSON.stringify({ c1: secretHash('c1', s1), c2: secretHash('c2', s2) }));
  assert.ok(keys.ok);
  const authorize = createAuthorizer(keys.keys);
  const UNAUTHORIZED = { allowed: false, status: 401, reason: 'unauthorized' };
  const FORBIDDEN = { allowed: false, status: 403, reason: 'forbidden' };

  it('none → 401, wrong → 401, another cluster’s → 403, right → allowed', () => {
    assert.deepEqual(authorize('c1', [undefined, undefined]), UNAUTHORIZED);
    assert.deepEqual(authorize('c1', ['', undefined]), UNAUTHORIZED);
    assert.deepEqual(authorize('c1', ['wrong', undefined]), UNAUTHORIZED);
    assert.deepEqual(authorize('c1', [s2, undefined]), FORBIDDEN);
    assert.deepEqual(authorize('c1', [s1, undefined]), { allowed: true });
    assert.deepEqual(authorize('c1', [undefined, s1]), { allowed: true });
  });
  it('a secret is bound to its cluster: c1’s secret on c2’s path is refused', () => {
    assert.deepEqual(authorize('c2', [s1, undefined]), FORBIDDEN);
    assert.deepEqual(authorize('c3', [s1, undefined]), FORBIDDEN);
    assert.deepEqual(authorize('', [s1, undefined]), FORBIDDEN);
  });
  it('one valid credential among two is enough', () => {
    assert.deepEqual(authorize('c1', ['wrong', s1]), { allowed: true });
  });
  it('an oversized credential is refused without hashing', () => {
    assert.deepEqual(authorize('c1', ['x'.repeat(10_000), undefined]), UNAUTHORIZED);
  });
  it('the 403 check stays within its digests a second: a flood of wrong credentials gets 401s', () => {
    const fleet: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) fleet[`k${i}`] = secretHash(`k${i}`, `k${i}-secret-0123456789`);
    const big = parseClusterKeys(JSON.stringify(fleet));
    assert.ok(big.ok);
    let t = 0;
    const limited = createAuthorizer(big.keys, () => t);
    const otherCluster = (n: number) => limited('k1', [`k${n}-secret-0123456789`, undefined]);
    // Two credentials against 1,000 clusters: 2,000 digests a check.
    const checks = FORBIDDEN_CHECK_DIGESTS_PER_SECOND / 2000;
    for (let i = 0; i < checks; i++) assert.deepEqual(limited('k1', ['wrong', 'wrong']), UNAUTHORIZED);
    assert.deepEqual(otherCluster(2), UNAUTHORIZED, 'over the budget: not told apart');
    assert.deepEqual(limited('k1', ['k1-secret-0123456789', undefined]), { allowed: true }, 'the right one');
    t += 100;
    assert.deepEqual(otherCluster(2), FORBIDDEN, 'a tenth of a second later');
  });
});

describe('authFromEnv', () => {
  it('on by default; off with a warning; anything else is an error', () => {
    const missing = authFromEnv({});
    assert.equal(missing.ok, false);
    const off = authFromEnv({ OUTRIGGER_AUTH: 'off' });
    assert.ok(off.ok && off.authorize === undefined && off.warning);
    assert.deepEqual(authFromEnv({ OUTRIGGER_AUTH: 'false' }), {
      ok: false,
      error: 'OUTRIGGER_AUTH must be "on" or "off", not "false"',
    });
    const on = authFromEnv({ OUTRIGGER_AUTH_KEYS: JSON.stringify({ c1: secretHash('c1', 'z'.repeat(16)) }) });
    assert.ok(on.ok && on.authorize && !on.warning);
  });
});

describe('secretFromInput (auth-hash standard input)', () => {
  it('drops one trailing newline, refuses short or URL-unsafe secrets', () => {
    assert.deepEqual(secretFromInput('0123456789abcdef\n'), { ok: true, secret: '0123456789abcdef' });
    assert.deepEqual(secretFromInput('short\n'), {
      ok: false,
      error: 'the secret on standard input is 5 characters; use at least 16, e.g. openssl rand -hex 32',
    });
    assert.deepEqual(secretFromInput('0123456789/abcdef'), {
      ok: false,
      error:
        'the secret contains whitespace or one of / ? # %, which do not survive a URL path; use e.g. openssl rand -hex 32',
    });
  });
});

describe('hardening against hostile input', () => {
  it('a secret cannot hide in the :ENV: path form', async () => {
    assert.deepEqual(takePathKey('/inject/:ENV:cluster=c1/key/S3CRET'), {
      path: '/inject',
      key: undefined,
      mixed: true,
    });
    const handle = createHandler({ revision: '', config: async () => config });
    const res = await handle({
      method: 'POST',
      path: '/inject/:ENV:net=n1/KEY/S3CRET',
      headers: {},
      body: undefined,
    });
    assert.equal(res.status, 400);
    assert.doesNotMatch(res.body, /S3CRET/);
  });

  it('auth settings errors never echo what was pasted, and an empty key map is refused', () => {
    for (const bad of ['not json S3CRET', '{"c1":"S3CRET"}']) {
      const r = parseClusterKeys(bad);
      assert.equal(r.ok, false);
      assert.doesNotMatch((r as { error: string }).error, /S3CRET/);
    }
    const empty = authFromEnv({ OUTRIGGER_AUTH_KEYS: '{}' });
    assert.equal(empty.ok, false);
    assert.match((empty as { error: string }).error, /names no cluster/);
  });
});
