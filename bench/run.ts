// Outrigger benchmarks: the targets of the issue "Speed", each figure measured in the same run as its
// baseline (alternately, medians) and reported as a ratio, with whether the target is met.
//
//   npm run bench                 full run (about 2.5 min), prints a Markdown table
//   npm run bench -- --quick      every figure with fewer runs and shorter load (under a minute; CI)
//   npm run bench -- --json       one JSON object on stdout instead of the table
//   npm run bench -- --no-build   use dist/ as it is (otherwise rebuilt when older than the sources)
//   npm run bench -- --istio      instead: per review, Outrigger's Lambda handler beside istiod's
//                                 serveInject, both in process (bench/istio.ts)
//   npm run bench -- --e2e        instead: the API server's webhook latency for Outrigger against a
//                                 no-op webhook on a real kube-apiserver (bench/e2e-latency.ts)
//
// A missed target is reported, not a failure: the exit code is 0. It is 1 when a measurement itself
// fails (a server does not start, an answer is not injected, an error under load). What runs is a copy
// of dist/ taken at the start (bench/lib/dist-snapshot.ts); servers run as separate processes on
// 127.0.0.1 and are stopped before the run ends.
import module from 'node:module';
import { parseArgs } from 'node:util';
import { RESULT_CACHE_BYTES } from '../lib/inject/result-cache.ts';
import { SKELETON_CACHE_BYTES } from '../lib/template/skeleton.ts';
import { distinctWorkloads } from './lib/bodies.ts';
import { bundleSize } from './lib/bundles.ts';
import { measureCliRuns } from './lib/cli-runs.ts';
import { measureColdStarts } from './lib/cold-starts.ts';
import { snapshotDist } from './lib/dist-snapshot.ts';
import { measureInChild } from './lib/in-process.ts';
import { asJson, type Figure, summary, table } from './lib/report.ts';
import { measureServerLoad } from './lib/servers.ts';
import { measureWorstCase } from './lib/worst-case.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    e2e: { type: 'boolean', default: false },
    istio: { type: 'boolean', default: false },
  },
});
if (args.istio) {
  const { measureBesideIstio, measureHttpBesideIstio } = await import('./istio.ts');
  process.stdout.write(`${await measureBesideIstio(args.quick)}\n`);
  process.stdout.write(`${await measureHttpBesideIstio(args.quick)}\n`);
  process.exit(0);
}
if (args.e2e) {
  const { measureE2eLatency } = await import('./e2e-latency.ts');
  process.stdout.write(`${await measureE2eLatency(args.quick ? 100 : 300)}\n`);
  process.exit(0);
}
const quick = args.quick;
const log = (s: string) => process.stderr.write(`${s}\n`);
const MiB = 1024 * 1024;
const started = performance.now();

const plan = {
  coldRuns: quick ? 5 : 9,
  load: quick
    ? { seconds: 3, rounds: 3, warmSeconds: 1, connections: 50 }
    : { seconds: 6, rounds: 5, warmSeconds: 3, connections: 50 },
  worst: quick ? { hello: 30, runs: 2 } : { hello: 100, runs: 5 },
};

// One endless series of distinct workloads for every HTTP figure: no server sees a pod twice.
const workload = distinctWorkloads(1_000_000);
let sent = 0;
const nextWorkload = () => workload(sent++);

const figures: Figure[] = [];
const failures: string[] = [];
let unmeasured = 0;
const raw: Record<string, unknown> = {};

/** Runs a section; a measurement that fails is reported, its targets counted as not measured. */
async function section(name: string, targets: number, run: () => Promise<Figure[]>): Promise<void> {
  log(`${name} ...`);
  try {
    figures.push(...(await run()));
  } catch (err) {
    unmeasured += targets;
    failures.push(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    log(`${name} FAILED: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const snapshot = await snapshotDist(!args['no-build']);
const dist = snapshot.dir;
try {
  await section('in process: dist/aws.js handler', 3, async () => {
    const { figures: f } = await measureInChild('dist', dist, quick);
    raw.dist = f;
    const s = 'Core in process: dist/aws.js handler, Function URL events (µs per review)';
    // The floor is the round trip of the event the handler gets; the review's own round trip, a
    // stricter floor the benchmark used before, is shown beside each for information.
    const rows = (label: string, p: typeof f.distinct, ratio: number): Figure[] => [
      {
        section: s,
        label,
        value: p.event.subject,
        unit: 'µs',
        baseline: { label: 'JSON.parse+stringify of the same event', value: p.event.baseline },
        ratio: p.event.ratio,
        target: { op: '≤', ratio },
      },
      {
        section: s,
        label: '… against the review alone',
        value: p.review.subject,
        unit: 'µs',
        baseline: { label: 'JSON.parse+stringify of the review in it', value: p.review.baseline },
        ratio: p.review.ratio,
      },
    ];
    const bytes = (b: { hello: number; env2000: number }, k: 'hello' | 'env2000') =>
      k === 'hello' ? `${b.hello} B` : `${(b.env2000 / 1024).toFixed(0)} KiB`;
    const sizes = (k: 'hello' | 'env2000') =>
      `${bytes(f.reviewBytes, k)} review, ${bytes(f.eventBytes, k)} event`;
    return [
      ...rows(`distinct workloads (${sizes('hello')})`, f.distinct, 15),
      ...rows('replicas of one workload', f.replicas, 3),
      ...rows(`pod with 2000 env vars (${sizes('env2000')})`, f.env2000, 3),
    ];
  });

  await section('in process: lib/ core', 0, async () => {
    const { figures: f, renders } = await measureInChild('lib', dist, quick);
    raw.lib = { ...f, renders };
    const s = 'Core in process: lib/ createHandler from the sources, raw body (information)';
    const row = (label: string, p: typeof f.distinct): Figure => ({
      section: s,
      label,
      value: p.event.subject,
      unit: 'µs',
      baseline: { label: 'JSON.parse+stringify of the same review', value: p.event.baseline },
      ratio: p.event.ratio,
    });
    const rows = [
      row('distinct workloads', f.distinct),
      row('replicas of one workload', f.replicas),
      row('pod with 2000 env vars', f.env2000),
    ];
    if (renders) {
      const total = renders.compiled + renders.interpreted + renders.retried;
      rows.push({
        section: s,
        label: 'template renders by the interpreter (fallback), of all renders in these runs',
        value: (100 * (renders.interpreted + renders.retried)) / total,
        unit: '%',
        note: `${renders.interpreted} not compiled + ${renders.retried} retried of ${total}`,
      });
    }
    return rows;
  });

  await section('HTTP load: dist/server.js and the plain node:http floor', 3, async () => {
    const load = await measureServerLoad(dist, nextWorkload, plan.load);
    raw.load = load;
    const s = `HTTP: dist/server.js, distinct workloads, ${plan.load.connections} connections (${plan.load.rounds} alternating rounds of ${plan.load.seconds} s)`;
    const floor = 'plain node:http parsing the same reviews (bench/http-floor.js)';
    return [
      {
        section: s,
        label: 'requests per second',
        value: load.rps.server,
        unit: 'req/s',
        baseline: { label: floor, value: load.rps.floor },
        ratio: load.rps.ratio,
        target: { op: '≥', ratio: 0.4 },
      },
      {
        section: s,
        label: 'p99 latency',
        value: load.p99.server,
        unit: 'ms',
        baseline: { label: 'the same floor', value: load.p99.floor },
        ratio: load.p99.ratio,
        target: { op: '≤', ratio: 2 },
      },
      {
        section: s,
        label: "p99 without each connection's first answer",
        value: load.p99Steady.server,
        unit: 'ms',
        baseline: { label: 'the same floor', value: load.p99Steady.floor },
        ratio: load.p99Steady.server / load.p99Steady.floor,
      },
      {
        section: s,
        label: `RSS after the load (result cache ≤ ${RESULT_CACHE_BYTES / MiB} MiB, template shapes ≤ ${SKELETON_CACHE_BYTES / MiB} MiB)`,
        value: load.rssKiB.afterLoad / 1024,
        unit: 'MiB',
        baseline: { label: 'idle after start', value: load.rssKiB.idle / 1024 },
        ratio: load.rssKiB.afterLoad / load.rssKiB.idle,
        target: { op: '≤', ratio: 1.3 },
      },
    ];
  });

  await section(`cold starts (${plan.coldRuns} of each, interleaved)`, 3, async () => {
    const cold = await measureColdStarts(dist, nextWorkload(), plan.coldRuns);
    raw.cold = cold;
    const s = `Cold start, spawn → first injected answer (median of ${plan.coldRuns}, interleaved)`;
    const p = cold.pairs;
    return [
      {
        section: s,
        label: 'dist/server.js',
        value: p.server.subject,
        unit: 'ms',
        baseline: { label: 'plain node:http floor → first 200', value: p.server.baseline },
        ratio: p.server.ratio,
        target: { op: '≤', ratio: 1.5 },
      },
      {
        section: s,
        label: 'Lambda package (dist/aws.js + chunks + package.json, alone): import + first invoke',
        value: p.lambda.subject,
        unit: 'ms',
        baseline: { label: 'no-op handler packaged the same way', value: p.lambda.baseline },
        ratio: p.lambda.ratio,
        target: { op: '≤', ratio: 1.5 },
      },
      {
        section: s,
        label: 'functions-framework serving dist/gcp.js',
        value: p.gcp.subject,
        unit: 'ms',
        baseline: { label: 'functions-framework serving a no-op', value: p.gcp.baseline },
        ratio: p.gcp.ratio,
        target: { op: '≤', ratio: 1.2 },
      },
      ...(['server.js', 'aws.js', 'gcp.js'] as const).map((entry): Figure => {
        const b = bundleSize(`${dist}/${entry}`);
        return {
          section: s,
          label: `code dist/${entry} loads at start (static imports)`,
          value: b.atStart / 1024,
          unit: 'KiB',
          note: `${(b.reachable / 1024).toFixed(0)} KiB with every chunk it can import`,
        };
      }),
    ];
  });

  // Node 20 has no compile cache to measure.
  if (typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function') {
    await section(`the command, run after run (${plan.coldRuns} of each, alternating)`, 0, async () => {
      const cli = await measureCliRuns(dist, plan.coldRuns);
      raw.cli = cli;
      return [
        {
          section: `The command: dist/cli.js kube-inject -f examples/deployment.yaml, spawn → exit (median of ${plan.coldRuns})`,
          label: "with the command's compile cache holding its code (a run before it)",
          value: cli.subject,
          unit: 'ms',
          baseline: { label: 'with the cache off (NODE_DISABLE_COMPILE_CACHE=1)', value: cli.baseline },
          ratio: cli.ratio,
        },
      ];
    });
  }

  await section('worst-case reviews through dist/server.js', 0, async () => {
    const worst = await measureWorstCase(dist, nextWorkload, plan.worst);
    raw.worst = worst;
    const s = `Worst-case review (issue "Hardening"), dist/server.js, one at a time (median of ${plan.worst.runs})`;
    return worst.cases.map((c): Figure => ({
      section: s,
      label: `${c.label} (${(c.reviewBytes / MiB).toFixed(2)} MiB review)`,
      value: c.ms,
      unit: 'ms',
      note: `RSS ${(c.rssKiB.before / 1024).toFixed(0)} → ${(c.rssKiB.after / 1024).toFixed(0)} MiB`,
      baseline: { label: 'a hello review, the same way', value: worst.helloMs },
      ratio: c.ms / worst.helloMs,
    }));
  });
} finally {
  snapshot.remove();
}

const seconds = (performance.now() - started) / 1000;
const context = `${seconds.toFixed(0)} s${quick ? ' (--quick)' : ''}, node ${process.version}, auth off`;
if (args.json) {
  const result = {
    when: new Date().toISOString(),
    node: process.version,
    quick,
    seconds: Math.round(seconds),
  };
  process.stdout.write(`${JSON.stringify({ ...result, figures: asJson(figures), failures, raw })}\n`);
} else {
  process.stdout.write(`${table(figures)}\n\n${context}\n`);
  for (const f of failures) process.stdout.write(`\nmeasurement failed: ${f}\n`);
}
// Last, plain, for CI to read (on stderr with --json, which keeps stdout one JSON object).
(args.json ? process.stderr : process.stdout).write(`${summary(figures, unmeasured)}\n`);
process.exitCode = failures.length ? 1 : 0;
