// In-process measurements: the webhook per review against the JSON round trip (JSON.parse +
// JSON.stringify) of what the platform hands it for the review (the floor: "the same event"),
// and against that of the AdmissionReview alone, in alternating batches over the same inputs.
//
// Two subjects, each in a process of its own (bench/in-process-child.ts):
//   dist: dist/aws.js's handler, called as the Lambda runtime calls it with a Function URL event (the
//         event already parsed, as the runtime hands it over); what ships. Its floor is the event's
//         round trip: the runtime parses the event and serialises the handler's answer.
//   lib:  createHandler (lib/http/handle.ts) from the sources with the raw body, as the node:http front
//         calls it; the same core, for information, with the template renderer's counts. Its event is
//         the review itself.
import { loadLocalConfig } from '../../lib/config/static-config.ts';
import { createHandler } from '../../lib/http/handle.ts';
import { functionUrlEvent } from '../../harness/deploy/aws-events.ts';
import { envHeavyReview, helloReview, replicaBodies } from '../../harness/support/pod-variants.ts';
import { type Paired, alternate, paired } from './stats.ts';

/** A subject: called with Input.arg, answers the AdmissionReview text of its response. */
export type Subject = (arg: unknown) => Promise<string>;

export interface SubjectKind {
  /** The JSON text the platform receives for an AdmissionReview text, when it is not the review itself. */
  event?: (review: string) => string;
  /** Turns that text into what the subject is called with. */
  arg: (event: string) => unknown;
  run: Subject;
}

export type LambdaHandler = (event: unknown) => Promise<{ statusCode: number; body: string }>;

/** dist/aws.js's handler (or any Lambda handler) on Function URL events posting to /inject. */
export function lambdaSubject(handler: LambdaHandler): SubjectKind {
  return {
    event: (review) => JSON.stringify(functionUrlEvent({ path: '/inject', body: review })),
    // Parsed from its text, as the runtime delivers it: no object shared with the input review.
    arg: (event) => JSON.parse(event),
    run: async (event) => {
      const out = await handler(event);
      return out.statusCode === 200 ? out.body : `HTTP ${out.statusCode}: ${out.body}`;
    },
  };
}

/** The core from lib/, with the embedded default config, no auth and no logging. */
export function libSubject(): SubjectKind {
  const config = loadLocalConfig([]);
  const handle = createHandler({ revision: '', config: async () => config });
  return {
    arg: (review) => ({
      method: 'POST',
      path: '/inject',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(review),
    }),
    run: async (req) => (await handle(req as Parameters<typeof handle>[0])).body,
  };
}

/** Throws unless `answer` is an AdmissionReview that allows the pod with a patch. */
export function assertInjected(answer: string, what: string): void {
  let r: { response?: { allowed?: boolean; patch?: string; status?: { message?: string } } };
  try {
    r = JSON.parse(answer);
  } catch {
    throw new Error(`${what}: not an AdmissionReview: ${answer.slice(0, 300)}`);
  }
  if (r.response?.allowed !== true || !r.response.patch) {
    throw new Error(`${what} did not inject: ${JSON.stringify(r.response).slice(0, 300)}`);
  }
}

export interface Shape {
  warmup: number;
  batch: number;
  rounds: number;
}

/**
 * A subject against the round trip of its event (the target's floor) and of the review alone (the same
 * when the event is the review).
 */
export interface Floors {
  event: Paired;
  review: Paired;
}

/**
 * Microseconds per review of the subject and of the floors, paired by round: round r takes the next
 * `batch` reviews through the subject (each review once) and the same reviews' events and the reviews
 * themselves through JSON.parse + JSON.stringify, the subject and the floors in alternating order (and
 * the two floors too). The subject's arguments are made just before its batch (as a runtime parses an
 * event just before calling the handler), and its answers are checked after it.
 */
export async function measurePaired(
  reviews: string[],
  kind: SubjectKind,
  shape: Shape,
  what: string,
): Promise<Floors> {
  const need = shape.warmup + shape.batch * shape.rounds;
  if (reviews.length < need) throw new Error(`${what}: ${reviews.length} reviews for ${need} requests`);
  const check = (answers: string[], from: number) =>
    answers.forEach((a, i) => assertInjected(a, `${what}, request ${from + i}`));
  const events = kind.event ? reviews.map(kind.event) : reviews;
  const warm: string[] = [];
  for (const [i, event] of events.slice(0, shape.warmup).entries()) {
    warm.push(await kind.run(kind.arg(event)));
    JSON.stringify(JSON.parse(event));
    if (kind.event) JSON.stringify(JSON.parse(reviews[i] as string));
  }
  check(warm, 0);
  let sink = 0;
  const roundTrip = (texts: string[]) => {
    const t0 = performance.now();
    for (const text of texts) sink += JSON.stringify(JSON.parse(text)).length;
    return ((performance.now() - t0) * 1000) / texts.length;
  };
  const subject: number[] = [];
  const review: number[] = [];
  const event = await alternate(shape.rounds, async (which, r) => {
    const from = shape.warmup + r * shape.batch;
    const batch = reviews.slice(from, from + shape.batch);
    const batchEvents = events.slice(from, from + shape.batch);
    if (which === 'baseline') {
      if (!kind.event) {
        const us = roundTrip(batch);
        review.push(us);
        return us;
      }
      if (r % 2 === 0) {
        const us = roundTrip(batchEvents);
        review.push(roundTrip(batch));
        return us;
      }
      review.push(roundTrip(batch));
      return roundTrip(batchEvents);
    }
    const args = batchEvents.map(kind.arg);
    const answers: string[] = [];
    const t0 = performance.now();
    for (const arg of args) answers.push(await kind.run(arg));
    const us = ((performance.now() - t0) * 1000) / batch.length;
    check(answers, from);
    subject.push(us);
    return us;
  });
  if (sink === 0) throw new Error(`${what}: the baseline did nothing`);
  return { event, review: paired(subject, review) };
}

export interface InProcessFigures {
  /** A distinct workload per review (no cache can help). */
  distinct: Floors;
  /** Replicas of one ReplicaSet: the same pod, distinct request uids. */
  replicas: Floors;
  /** Distinct pods whose container has 2000 env vars. */
  env2000: Floors;
  reviewBytes: { hello: number; env2000: number };
  /** The first hello review's event, as the subject's platform receives it. */
  eventBytes: { hello: number; env2000: number };
}

/**
 * The three in-process figures; `quick` takes fewer rounds of the env-heavy pods only. Distinct and
 * replica reviews take the full form's rounds in the quick form too: they are seconds, and with 14
 * rounds of 100 CI's readings of their tight targets moved by a fifth (replicas 2.4× to 3.1×).
 */
export async function measureInProcess(kind: SubjectKind, quick: boolean): Promise<InProcessFigures> {
  // V8 optimises a template's generated code after about a thousand renders; with fewer reviews first,
  // the quick form measured the tiers below it (35× with 300, 22× with 1,500, as the full form).
  const hello: Shape = { warmup: 1500, batch: 200, rounds: 30 };
  const helloBodies = Array.from({ length: hello.warmup + hello.batch * hello.rounds }, (_, i) =>
    JSON.stringify(helloReview(i)),
  );
  const distinct = await measurePaired(helloBodies, kind, hello, 'distinct workloads');

  const rep: Shape = { warmup: 200, batch: 200, rounds: 30 };
  // A ReplicaSet of its own: its first replica is the one miss, in the warm-up.
  const replicas = await measurePaired(
    replicaBodies(rep.warmup + rep.batch * rep.rounds, 900_001),
    kind,
    rep,
    'replicas of one workload',
  );

  const env: Shape = quick ? { warmup: 4, batch: 4, rounds: 8 } : { warmup: 6, batch: 4, rounds: 20 };
  const envBodies = Array.from({ length: env.warmup + env.batch * env.rounds }, (_, i) =>
    JSON.stringify(envHeavyReview(i)),
  );
  const env2000 = await measurePaired(envBodies, kind, env, 'pods with 2000 env vars');
  return {
    distinct,
    replicas,
    env2000,
    reviewBytes: {
      hello: Buffer.byteLength(helloBodies[0] as string),
      env2000: Buffer.byteLength(envBodies[0] as string),
    },
    eventBytes: {
      hello: Buffer.byteLength(kind.event?.(helloBodies[0] as string) ?? (helloBodies[0] as string)),
      env2000: Buffer.byteLength(kind.event?.(envBodies[0] as string) ?? (envBodies[0] as string)),
    },
  };
}

/** Profiling loop (bench/profile-core.ts): the lib core on distinct pods for `ms`; returns the count. */
export async function runCoreLoop(pod: 'hello' | 'env2000', ms: number): Promise<number> {
  const kind = libSubject();
  const make = (i: number) => kind.arg(JSON.stringify(pod === 'hello' ? helloReview(i) : envHeavyReview(i)));
  for (let i = 0; i < (pod === 'hello' ? 300 : 5); i++) await kind.run(make(i));
  // Distinct pods throughout (more than the result cache holds, and never repeated).
  const pending = Array.from({ length: pod === 'hello' ? 8000 : 300 }, (_, i) => make(1000 + i));
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end && n < pending.length) await kind.run(pending[n++]);
  return n;
}
