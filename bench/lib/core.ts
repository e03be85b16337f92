// In-process measurements: the core (decode → policy → render → merge → finish → patch) per pod, the
// Lambda handler per event, and their JSON baselines, all on pre-built distinct inputs.
//
// The core is timed through createHandler (lib/http/handle.ts) with the body already parsed, as the GCP
// function calls it: that is handleReview plus whatever the functions compose around it (the result
// cache), minus logging and the platform. So the replica figure sees the cache the functions use.
import { loadLocalConfig } from '../../lib/config/static-config.ts';
import { createHandler } from '../../lib/http/handle.ts';
import {
  distinctHelloBodies,
  envHeavyReview,
  helloReview,
  replicaBodies,
} from '../../test/support/pod-variants.ts';

export interface Timing {
  /** Median over batches of the mean time per operation, in microseconds. */
  us: number;
  /** Operations timed (warm-up excluded). */
  ops: number;
}

/** A review as the core takes it: the bytes and their parse (as functions-framework hands both over). */
export interface CoreInput {
  raw: Buffer;
  parsed: unknown;
}

export function coreInput(text: string): CoreInput {
  return { raw: Buffer.from(text), parsed: JSON.parse(text) };
}

/** The core as the functions compose it, with the embedded default config and no logging. */
export function coreHandler(): (input: CoreInput) => Promise<unknown> {
  const config = loadLocalConfig([]);
  const handle = createHandler({ revision: '', config: async () => config });
  return async (input) => {
    const out = await handle({
      method: 'POST',
      path: '/inject',
      headers: { 'content-type': 'application/json' },
      body: input.raw,
      parsedBody: input.parsed,
    });
    return out.body;
  };
}

/** Checks a core answer (the response body) really injected. */
function assertCoreInjected(body: unknown, what: string): void {
  assertInjected(JSON.parse(body as string), what);
}

/**
 * Times `fn` over `inputs` (each input used once), after `warmup` calls on the first inputs; batches of
 * `batch` calls until `minMs` have passed or the inputs run out. Reports the median batch.
 */
export async function timeEach<T>(
  inputs: T[],
  fn: (input: T) => unknown,
  opts: { warmup: number; batch: number; minMs: number },
): Promise<Timing> {
  let i = 0;
  for (; i < Math.min(opts.warmup, inputs.length); i++) await fn(inputs[i] as T);
  const perOp: number[] = [];
  const start = performance.now();
  let ops = 0;
  while (i < inputs.length && (performance.now() - start < opts.minMs || perOp.length < 3)) {
    const end = Math.min(i + opts.batch, inputs.length);
    const t0 = performance.now();
    for (let j = i; j < end; j++) await fn(inputs[j] as T);
    perOp.push(((performance.now() - t0) * 1000) / (end - i));
    ops += end - i;
    i = end;
  }
  perOp.sort((a, b) => a - b);
  return { us: perOp[Math.floor(perOp.length / 2)] ?? Number.NaN, ops };
}

function parseStringify(bodies: string[]): (i: number) => void {
  return (i) => {
    JSON.stringify(JSON.parse(bodies[i] as string));
  };
}

/** Checks a review answer really injected (so no error path is being timed). */
export function assertInjected(review: unknown, what: string): void {
  const r = review as { response?: { allowed?: boolean; patch?: string; status?: { message?: string } } };
  if (r.response?.allowed !== true || !r.response.patch) {
    throw new Error(`${what} did not inject: ${JSON.stringify(r.response).slice(0, 300)}`);
  }
}

export interface CoreFigures {
  hello: Timing;
  helloJson: Timing;
  env2000: Timing;
  env2000Json: Timing;
  replicas: Timing;
  reviewBytes: { hello: number; env2000: number };
}

export async function measureCore(quick: boolean): Promise<CoreFigures> {
  const run = coreHandler();
  assertCoreInjected(await run(coreInput(JSON.stringify(helloReview(999_999)))), 'core (hello)');

  // Distinct hello pods; the first ones warm the JIT up.
  const n = quick ? 1500 : 6000;
  const helloBodies = distinctHelloBodies(n);
  const helloObjects = helloBodies.map(coreInput);
  const hello = await timeEach(helloObjects, run, { warmup: 300, batch: 100, minMs: quick ? 800 : 3000 });
  const idx = helloBodies.map((_, i) => i);
  const helloJson = await timeEach(idx, parseStringify(helloBodies), {
    warmup: 300,
    batch: 100,
    minMs: 200,
  });

  // 1000 replicas of one ReplicaSet (after warming up on another ReplicaSet's replicas).
  await timeEach(replicaBodies(200, 1).map(coreInput), run, { warmup: 200, batch: 1, minMs: 0 });
  const replicaObjects = replicaBodies(1000, 2).map(coreInput);
  const replicas = await timeEach(replicaObjects, run, { warmup: 0, batch: 100, minMs: 0 });

  // Pods with 2000 env vars, distinct.
  const envN = quick ? 16 : 60;
  const envBodies = Array.from({ length: envN + 4 }, (_, i) => JSON.stringify(envHeavyReview(i)));
  assertCoreInjected(await run(coreInput(envBodies[0] as string)), 'core (env2000)');
  const envObjects = envBodies.map(coreInput);
  const env2000 = await timeEach(envObjects, run, { warmup: 4, batch: 4, minMs: quick ? 300 : 1500 });
  const env2000Json = await timeEach(
    envBodies.map((_, i) => i),
    parseStringify(envBodies),
    { warmup: 4, batch: 4, minMs: 100 },
  );
  return {
    hello,
    helloJson,
    env2000,
    env2000Json,
    replicas,
    reviewBytes: {
      hello: Buffer.byteLength(helloBodies[0] as string),
      env2000: Buffer.byteLength(envBodies[0] as string),
    },
  };
}

/** A Lambda Function URL (payload 2.0) event posting `body` to /inject. */
export function functionUrlEvent(body: string, path = '/inject') {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      host: 'abcdefg.lambda-url.us-east-1.on.aws',
      'user-agent': 'kube-apiserver-admission',
      accept: 'application/json, */*',
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefg',
      domainName: 'abcdefg.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefg',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'kube-apiserver' },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      routeKey: '$default',
      stage: '$default',
      time: '21/Nov/2026:00:00:00 +0000',
      timeEpoch: 1_795_219_200_000,
    },
    body,
    isBase64Encoded: false,
  };
}

export type LambdaHandler = (event: unknown) => Promise<{ statusCode: number; body: string }>;

export interface LambdaFigures {
  handler: Timing;
  eventJson: Timing;
  core: Timing;
}

/**
 * The Lambda handler in process (dist/aws.js) per event, against its baseline: JSON.parse of the event
 * text + JSON.stringify of the event (what the runtime does around a handler) plus the core on the same
 * distinct pods.
 */
export async function measureLambda(handler: LambdaHandler, quick: boolean): Promise<LambdaFigures> {
  const n = quick ? 1500 : 5000;
  const bodies = distinctHelloBodies(n, 100_000);
  const first = await handler(functionUrlEvent(bodies[0] as string));
  if (first.statusCode !== 200) throw new Error(`lambda handler answered ${first.statusCode}: ${first.body}`);
  assertInjected(JSON.parse(first.body), 'lambda handler');
  const eventTexts = bodies.map((b) => JSON.stringify(functionUrlEvent(b)));
  const events = eventTexts.map((t) => JSON.parse(t) as unknown);
  const opts = { warmup: 300, batch: 100, minMs: quick ? 800 : 2500 };
  const handlerTiming = await timeEach(events, handler, opts);
  const eventJson = await timeEach(
    eventTexts.map((_, i) => i),
    (i) => JSON.stringify(JSON.parse(eventTexts[i] as string)),
    { warmup: 300, batch: 100, minMs: 200 },
  );
  const core = await timeEach(bodies.map(coreInput), coreHandler(), opts);
  return { handler: handlerTiming, eventJson, core };
}

/** Profiling loop: handleReview on distinct pods for `ms` milliseconds; returns the count. */
export async function runCoreLoop(kind: 'hello' | 'env2000', ms: number): Promise<number> {
  const run = coreHandler();
  const make = (i: number) =>
    coreInput(JSON.stringify(kind === 'hello' ? helloReview(i) : envHeavyReview(i)));
  for (let i = 0; i < (kind === 'hello' ? 300 : 5); i++) await run(make(i));
  // Distinct pods throughout (more than the result cache holds, and never repeated).
  const pending = Array.from({ length: kind === 'hello' ? 8000 : 300 }, (_, i) => make(1000 + i));
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end && n < pending.length) {
    await run(pending[n] as CoreInput);
    n++;
  }
  return n;
}
