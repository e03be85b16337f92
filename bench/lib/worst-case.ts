// The worst-case reviews (issue "Hardening"): pods near the API server's 3 MiB request limit, through
// dist/server.js in a process of its own, one request at a time: the time of each answer against a
// hello review's on the same server, and the server's RSS before and after. Information, not targets.
import { httpRequest } from '../../harness/support/http-request.ts';
import { assertInjected } from './core.ts';
import { manyContainersReview, manyEnvReview } from './bodies.ts';
import { startServer } from './servers.ts';
import { median } from './stats.ts';

export interface WorstCase {
  label: string;
  reviewBytes: number;
  /** Median milliseconds from sending the review to the whole answer, and each run's. */
  ms: number;
  runs: number[];
  rssKiB: { before: number; after: number };
}

export interface WorstCaseFigures {
  /** Median milliseconds of a distinct hello review, the same way, on the same server. */
  helloMs: number;
  cases: WorstCase[];
}

const CASES = [
  { label: '80,000 small containers', make: (i: number) => manyContainersReview(i) },
  { label: '2,000 containers × 36 env vars', make: (i: number) => manyEnvReview(i) },
];

export async function measureWorstCase(
  dist: string,
  next: () => string,
  opts: { hello: number; runs: number },
): Promise<WorstCaseFigures> {
  const server = await startServer('server', next(), dist);
  try {
    const post = async (body: string, what: string) => {
      const res = await httpRequest(`${server.url}/inject`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        timeoutMs: 30_000,
      });
      if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      assertInjected(res.text, what);
      return res.ms;
    };
    for (let i = 0; i < 50; i++) await post(next(), 'hello review (warm-up)');
    const hello: number[] = [];
    for (let i = 0; i < opts.hello; i++) hello.push(await post(next(), 'hello review'));
    const cases: WorstCase[] = [];
    for (const [c, { label, make }] of CASES.entries()) {
      // Built before the server's RSS is read; distinct workloads (a cache could not help anyway).
      const bodies = Array.from({ length: opts.runs }, (_, j) => JSON.stringify(make(700_000 + c * 100 + j)));
      const before = server.rssKiB();
      const runs: number[] = [];
      for (const body of bodies) runs.push(await post(body, label));
      cases.push({
        label,
        reviewBytes: Buffer.byteLength(bodies[0] as string),
        ms: median(runs),
        runs: runs.map(Math.round),
        rssKiB: { before, after: server.rssKiB() },
      });
    }
    if (server.exitCode() !== null) throw new Error(`dist/server.js exited:\n${server.output()}`);
    return { helloMs: median(hello), cases };
  } finally {
    await server.stop();
  }
}
