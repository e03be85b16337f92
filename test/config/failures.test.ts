import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { handleReview } from '../../lib/admission/handle-review.ts';
import { compileBundle, type InjectorConfig } from '../../lib/config/compile.ts';
import { configFromEnv, onConfigErrorFromEnv } from '../../lib/config/from-env.ts';
import { fakeClock, startStores, type TestStores, until } from '../../harness/stores.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

let stores: TestStores;
before(async () => {
  stores = await startStores();
  stores.sm.put('fail/bundle', 'values: {global: {hub: good.example}}');
});
after(() => stores.close());
beforeEach(() => {
  stores.sm.mode = 'up';
  stores.sm.resetCalls();
});

function instance(env: Record<string, string> = {}) {
  const clock = fakeClock();
  const logs: Record<string, unknown>[] = [];
  const counts = { compiles: 0 };
  const lookup = configFromEnv(
    { ...stores.env, OUTRIGGER_CONFIG: 'secretsmanager://fail/bundle', ...env },
    {
      now: clock.now,
      log: (entry) => logs.push(entry),
      compile: (...args) => {
        counts.compiles++;
        return compileBundle(...args);
      },
    },
  );
  const errors = () => logs.filter((l) => l.level === 'error');
  return { lookup, clock, logs, errors, counts };
}

async function answer(
  lookup: (cluster: string) => Promise<InjectorConfig>,
  onConfigUnavailable: 'deny' | 'allow' = 'deny',
) {
  const { review: out } = await handleReview(review(deploymentPod()), '/inject', {
    revision: '',
    config: lookup,
    onConfigUnavailable,
  });
  return out.response as {
    uid: string;
    allowed: boolean;
    patch?: string;
    status?: { message: string };
    warnings?: string[];
  };
}

function hub(config: InjectorConfig): unknown {
  return (config.bundle.values.global as Record<string, unknown>).hub;
}

const HANG_UP =
  'config unavailable: config source secretsmanager://fail/bundle: TimeoutError: socket hang up';

describe('config store failures at a cold start', () => {
  it('store down: denies, naming the source and the error', async () => {
    stores.sm.mode = 'down';
    const r = await answer(instance().lookup);
    assert.equal(r.allowed, false);
    assert.equal(r.status?.message, HANG_UP);
  });

  it('store slow: the client times out and the review is denied, without waiting for the store', async () => {
    stores.sm.mode = 'slow';
    // The client gives up after 0.3 s; the store would answer after 5: the margin is for a loaded machine.
    stores.sm.slowMs = 5000;
    const started = performance.now();
    const r = await answer(instance().lookup);
    assert.ok(performance.now() - started < 4000, 'answered before the store would have');
    assert.equal(r.allowed, false);
    assert.equal(
      r.status?.message,
      'config unavailable: config source secretsmanager://fail/bundle: TimeoutError: @smithy/node-http-handler - [ERROR] a request has exceeded the configured 300 ms requestTimeout.',
    );
  });

  it('store returns an invalid bundle: denies with the path of the bad field', async () => {
    stores.sm.mode = 'corrupt';
    const r = await answer(instance().lookup);
    assert.equal(r.allowed, false);
    assert.equal(
      r.status?.message,
      'config unavailable: invalid config bundle secretsmanager://fail/bundle: values: must be a map',
    );
  });

  it('OUTRIGGER_ON_CONFIG_ERROR=allow admits the pod uninjected, with a warning saying why', async () => {
    stores.sm.mode = 'down';
    const r = await answer(instance().lookup, onConfigErrorFromEnv({ OUTRIGGER_ON_CONFIG_ERROR: 'allow' }));
    assert.deepEqual(r, {
      uid: r.uid as never,
      allowed: true,
      warnings: [`sidecar not injected: ${HANG_UP}`],
    });
    assert.equal(onConfigErrorFromEnv({}), 'deny');
    assert.throws(() => onConfigErrorFromEnv({ OUTRIGGER_ON_CONFIG_ERROR: 'ignore' }), {
      message: 'OUTRIGGER_ON_CONFIG_ERROR must be deny or allow, not "ignore"',
    });
  });

  it('retries on the next request, logging the failure once per TTL', async () => {
    stores.sm.mode = 'down';
    const { lookup, clock, errors } = instance();
    for (let i = 0; i < 3; i++) await assert.rejects(lookup(''), { code: 'config-unavailable' });
    assert.equal(stores.sm.calls.GetSecretValue, 6, 'each request tries again (two attempts each)');
    assert.equal(errors().length, 1);
    stores.sm.mode = 'up';
    clock.advance(1);
    assert.equal(hub(await lookup('')), 'good.example', 'the first request after recovery loads');
  });
});

describe('config store failures once a config is loaded', () => {
  it('store down: serves the last good copy without waiting; logs once per TTL with the cause', async () => {
    const { lookup, clock, errors, logs } = instance();
    const good = await lookup('');
    stores.sm.mode = 'down';

    clock.advance(61);
    assert.equal(await lookup(''), good);
    await until(() => errors().length === 1, 'the failure log');
    assert.deepEqual(errors()[0], {
      level: 'error',
      msg: 'config refresh failed',
      sources: ['secretsmanager://fail/bundle'],
      error: 'config source secretsmanager://fail/bundle: TimeoutError: socket hang up',
      serving: 'last-known-good',
      lastGoodAgeSeconds: 61,
      failuresSinceLastLog: 1,
    });
    const calls = stores.sm.calls.GetSecretValue;

    clock.advance(30);
    for (let i = 0; i < 10; i++) assert.equal(await lookup(''), good);
    assert.equal(
      stores.sm.calls.GetSecretValue,
      calls,
      'a failing store is asked once per TTL, not per request',
    );
    assert.equal(errors().length, 1);

    clock.advance(31);
    assert.equal(await lookup(''), good);
    await until(() => errors().length === 2, 'the next TTL window failure log');

    stores.sm.mode = 'up';
    clock.advance(61);
    await lookup('');
    await until(() => logs.at(-1)?.msg === 'config refresh recovered', 'the recovery log');
  });

  it('store slow: the request is answered at once from memory', async () => {
    const { lookup, clock, errors } = instance();
    const good = await lookup('');
    stores.sm.mode = 'slow';
    stores.sm.slowMs = 1500;
    clock.advance(61);
    const started = performance.now();
    assert.equal(await lookup(''), good);
    // Waiting for the refresh would take the client's 0.3 s timeout at least.
    assert.ok(performance.now() - started < 250, 'no request waits for a refresh');
    await until(() => errors().length === 1, 'the timeout log');
    assert.match(String(errors()[0]?.error), /TimeoutError: .*requestTimeout/);
  });

  it('store returns an invalid bundle: keeps the last good copy and logs the validation error', async () => {
    const { lookup, clock, errors, counts } = instance();
    const good = await lookup('');
    stores.sm.mode = 'corrupt';
    clock.advance(61);
    assert.equal(await lookup(''), good);
    await until(() => errors().length === 1, 'the failure log');
    assert.equal(
      errors()[0]?.error,
      'invalid config bundle secretsmanager://fail/bundle: values: must be a map',
    );
    assert.equal(await lookup(''), good);
    assert.equal(counts.compiles, 1);
  });

  it('past OUTRIGGER_CONFIG_MAX_STALE there is no config, until the store answers again', async () => {
    const { lookup, clock, errors, counts } = instance({ OUTRIGGER_CONFIG_MAX_STALE: '300' });
    const good = await lookup('');
    stores.sm.mode = 'down';
    clock.advance(299);
    assert.equal(await lookup(''), good, 'still within max-stale');
    await until(() => errors().length === 1, 'the failure log');

    clock.advance(2);
    const r = await answer(lookup);
    assert.equal(r.allowed, false);
    assert.equal(r.status?.message, HANG_UP);

    stores.sm.mode = 'up';
    clock.advance(1);
    assert.equal(await lookup(''), good, 'the same version is served again, not recompiled');
    assert.equal(counts.compiles, 1);
  });
});
