// What the config cache costs and saves, against real local stores (the test servers on loopback):
//
//   node --import tsx bench/config-cache.ts
//
// 1. Store calls for 1000 requests spread over 3 TTL windows (fake clock), config layered from GCS and
//    Secrets Manager: one cold fetch, then one background refresh per window.
// 2. A cache hit against calling an already-resolved config, alone and inside a whole AdmissionReview.
import { handleReview } from '../lib/admission/handle-review.ts';
import type { InjectorConfig } from '../lib/config/compile.ts';
import { configFromEnv } from '../lib/config/from-env.ts';
import { fakeClock, startStores } from '../harness/stores.ts';
import { deploymentPod, review } from '../harness/support/reviews.ts';

const stores = await startStores();
try {
  stores.sm.put('bench/env', 'values: {global: {hub: bench.example}}');
  stores.gcs.put('outrigger', 'bench/base.yaml', 'mesh: {trustDomain: bench.local}');
  const env = {
    ...stores.env,
    OUTRIGGER_CONFIG: 'gs://outrigger/bench/base.yaml,secretsmanager://bench/env',
  };

  // 1. Store calls.
  const clock = fakeClock();
  let compiles = 0;
  const lookup = configFromEnv(env, {
    now: clock.now,
    log: (e) => {
      if (e.msg === 'config loaded') compiles++;
    },
  });
  const requests = 1000;
  const windows = 3;
  const ttl = 60;
  for (let i = 0; i < requests; i++) {
    await lookup('');
    clock.advance((windows * ttl) / requests);
    // Lets a background refresh reach the store as it would between real requests.
    if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const calls = { ...stores.sm.calls, ...stores.gcs.calls };
  const total = stores.sm.totalCalls() + stores.gcs.totalCalls();

  // 2. Hit latency.
  const direct = await lookup('');
  const resolved = async (_cluster: string): Promise<InjectorConfig> => direct;
  const timeLookups = async (fn: (c: string) => Promise<InjectorConfig>, n: number) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn('');
    return Number(process.hrtime.bigint() - start) / n;
  };
  const body = review(deploymentPod());
  const timeReviews = async (fn: (c: string) => Promise<InjectorConfig>, n: number) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await handleReview(body, '/inject', { revision: '', config: fn });
    return Number(process.hrtime.bigint() - start) / n;
  };
  // Interleaved rounds, median of each (the first round is warm-up): one pass of each would mostly
  // measure JIT warm-up and GC.
  const rounds = {
    hit: [] as number[],
    direct: [] as number[],
    reviewHit: [] as number[],
    reviewDirect: [] as number[],
  };
  for (let round = 0; round < 8; round++) {
    const sample = {
      hit: await timeLookups(lookup, 200_000),
      direct: await timeLookups(resolved, 200_000),
      reviewHit: await timeReviews(lookup, 300),
      reviewDirect: await timeReviews(resolved, 300),
    };
    if (round === 0) continue;
    for (const key of Object.keys(rounds) as (keyof typeof rounds)[]) rounds[key].push(sample[key]);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const hitNs = median(rounds.hit);
  const directNs = median(rounds.direct);
  const reviewCachedNs = median(rounds.reviewHit);
  const reviewDirectNs = median(rounds.reviewDirect);

  const out = process.stdout;
  out.write(`store calls, ${requests} requests over ${windows} TTL windows (${ttl} s), 2 sources:\n`);
  out.write(`  ${JSON.stringify(calls)} = ${total} calls, ${compiles} compile(s)\n`);
  out.write('cache hit vs pre-resolved config:\n');
  out.write(
    `  lookup alone:   ${hitNs.toFixed(0)} ns vs ${directNs.toFixed(0)} ns  (ratio ${(hitNs / directNs).toFixed(2)}, +${(hitNs - directNs).toFixed(0)} ns)\n`,
  );
  out.write(
    `  whole review:   ${(reviewCachedNs / 1000).toFixed(1)} µs vs ${(reviewDirectNs / 1000).toFixed(1)} µs  (ratio ${(reviewCachedNs / reviewDirectNs).toFixed(3)})\n`,
  );
} finally {
  await stores.close();
}
