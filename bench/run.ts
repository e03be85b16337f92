// Outrigger benchmarks: every figure is measured in the same run as its baseline and reported as a ratio.
//
//   npm run bench                 full run (≥10 s of load per server), prints a table
//   npm run bench -- --quick      short run, for development
//   npm run bench -- --json       one JSON object on stdout instead of the table
//   npm run bench -- --no-build   use dist/ as it is (otherwise rebuilt when older than the sources)
//
// Servers run as separate processes on 127.0.0.1 and are stopped before the run ends.
import { fork, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { distinctHelloBodies, helloReview } from '../test/support/pod-variants.ts';
import { ROOT } from '../test/support/spawn-server.ts';
import { distBundles } from './lib/bundles.ts';
import { type LambdaFigures, measureCore } from './lib/core.ts';
import { measureColdStarts, measureLoad } from './lib/servers.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const log = (s: string) => process.stderr.write(`${s}\n`);

const BUNDLES = ['gcp.js', 'aws.js', 'cli.js'];
const MB = 1_000_000;

interface Figure {
  id: string;
  label: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number };
  /** value / baseline (or the ratio the target is about). */
  ratio?: number;
  target: string;
  /** undefined: informational only. */
  pass?: boolean;
}

const started = performance.now();
ensureBuild();

const figures: Figure[] = [];

// Bundle sizes: the entry with its static imports (loaded at a cold start) and with every chunk it can
// import (what ships with the function).
const bundles = distBundles(ROOT, BUNDLES);
for (const [file, b] of Object.entries(bundles)) {
  figures.push({
    id: `bundle.${file}`,
    label: `bundle dist/${file} + every chunk it can import (${b.files} files)`,
    value: b.reachable / MB,
    unit: 'MB',
    baseline: { label: 'loaded at start (static imports)', value: b.atStart / MB },
    target: '≤ 1.5 MB',
    pass: b.reachable <= 1.5 * MB,
  });
}

// In process: the core, then the Lambda handler.
log('core (in process) ...');
const core = await measureCore(quick);
figures.push(
  {
    id: 'core.hello',
    label: 'core, hello pod (distinct pods)',
    value: core.hello.us,
    unit: 'µs',
    baseline: { label: 'JSON.parse+stringify of the review', value: core.helloJson.us },
    ratio: core.hello.us / core.helloJson.us,
    target: '≤ 150 µs',
    pass: core.hello.us <= 150,
  },
  {
    id: 'core.env2000',
    label: 'core, pod with 2000 env vars',
    value: core.env2000.us / 1000,
    unit: 'ms',
    baseline: { label: 'JSON.parse+stringify of the review', value: core.env2000Json.us / 1000 },
    ratio: core.env2000.us / core.env2000Json.us,
    target: '≤ 20 ms',
    pass: core.env2000.us <= 20_000,
  },
  {
    id: 'core.replicas',
    label: 'core, 1000 replicas of one ReplicaSet, each',
    value: core.replicas.us,
    unit: 'µs',
    baseline: { label: 'distinct-pod figure', value: core.hello.us },
    ratio: core.replicas.us / core.hello.us,
    target: '≤ 20 µs (needs a render cache)',
    pass: core.replicas.us <= 20,
  },
);

log('lambda handler (in process, a child process of its own) ...');
const lambda = await measureLambdaInChild();
const lambdaBase = lambda.eventJson.us + lambda.core.us;
figures.push({
  id: 'lambda.request',
  label: 'Lambda handler, per request (in process)',
  value: lambda.handler.us,
  unit: 'µs',
  baseline: { label: 'event JSON.parse+stringify + core', value: lambdaBase },
  ratio: lambda.handler.us / lambdaBase,
  target: '≤ 1.5× baseline',
  pass: lambda.handler.us / lambdaBase <= 1.5,
});

// Cold starts (interleaved), then load.
const body = JSON.stringify(helloReview(0));
const coldRuns = quick ? 3 : 7;
log(`cold starts (${coldRuns} of each) ...`);
const cold = await measureColdStarts(body, coldRuns);
figures.push(
  {
    id: 'cold.ours',
    label: `cold start, spawn → first injected 200 (median of ${coldRuns})`,
    value: cold.ours.median,
    unit: 'ms',
    baseline: { label: 'http floor spawn → first 200', value: cold.http.median },
    ratio: cold.ours.median / cold.http.median,
    target: '≤ 2.5× http floor',
    pass: cold.ours.median / cold.http.median <= 2.5,
  },
  {
    id: 'cold.server',
    label: `cold start of dist/server.js (plain node:http, Cloud Run), spawn → first injected 200`,
    value: cold.server.median,
    unit: 'ms',
    baseline: { label: 'http floor spawn → first 200', value: cold.http.median },
    ratio: cold.server.median / cold.http.median,
    target: '≤ 2.5× http floor',
    pass: cold.server.median / cold.http.median <= 2.5,
  },
  {
    id: 'cold.framework',
    label: 'cold start of the framework floor (no-op function)',
    value: cold.framework.median,
    unit: 'ms',
    baseline: { label: 'http floor', value: cold.http.median },
    ratio: cold.framework.median / cold.http.median,
    target: 'info',
  },
);

const seconds = quick ? 3 : 10;
const warm = quick ? 1 : 2;
log(`load: ${seconds} s per server at 50 connections (after ${warm} s warm-up) ...`);
const load = await measureLoad(body, distinctHelloBodies(30_000, 500_000), seconds, warm);
const { ours, framework, http } = load.same;
figures.push(
  {
    id: 'http.rps',
    label: 'HTTP req/s, hello pod (same review), 50 connections',
    value: ours.rps,
    unit: 'req/s',
    baseline: { label: 'framework floor req/s', value: framework.rps },
    ratio: ours.rps / framework.rps,
    target: '≥ 0.80× framework floor',
    pass: ours.rps / framework.rps >= 0.8,
  },
  {
    id: 'http.p99',
    label: 'HTTP p99 latency',
    value: ours.p99,
    unit: 'ms',
    baseline: { label: 'framework floor p99', value: framework.p99 },
    ratio: ours.p99 / framework.p99,
    target: '≤ 1.3× framework floor',
    pass: ours.p99 / framework.p99 <= 1.3,
  },
  {
    id: 'http.rps.distinct',
    label: 'HTTP req/s, distinct hello pods, 50 connections',
    value: load.distinct.ours.rps,
    unit: 'req/s',
    baseline: { label: 'framework floor req/s, same bodies', value: load.distinct.framework.rps },
    ratio: load.distinct.ours.rps / load.distinct.framework.rps,
    target: '≥ 0.80× framework floor',
    pass: load.distinct.ours.rps / load.distinct.framework.rps >= 0.8,
  },
  {
    id: 'http.p99.distinct',
    label: 'HTTP p99 latency, distinct hello pods',
    value: load.distinct.ours.p99,
    unit: 'ms',
    baseline: { label: 'framework floor p99, same bodies', value: load.distinct.framework.p99 },
    ratio: load.distinct.ours.p99 / load.distinct.framework.p99,
    target: '≤ 1.3× framework floor',
    pass: load.distinct.ours.p99 / load.distinct.framework.p99 <= 1.3,
  },
  {
    id: 'http.p99.distinct.steady',
    label: "HTTP p99, distinct pods, without each connection's first response",
    value: load.distinct.ours.p99Steady,
    unit: 'ms',
    baseline: { label: 'framework floor, same', value: load.distinct.framework.p99Steady },
    ratio: load.distinct.ours.p99Steady / load.distinct.framework.p99Steady,
    target: 'info',
  },
  {
    id: 'http.p50',
    label: 'HTTP p50 latency',
    value: ours.p50,
    unit: 'ms',
    baseline: { label: 'framework floor p50', value: framework.p50 },
    ratio: ours.p50 / framework.p50,
    target: 'info',
  },
  {
    id: 'http.rps.httpFloor',
    label: 'HTTP req/s against the plain http floor',
    value: ours.rps,
    unit: 'req/s',
    baseline: { label: 'http floor req/s', value: http.rps },
    ratio: ours.rps / http.rps,
    target: 'info',
  },
  {
    id: 'http.framework.httpFloor',
    label: 'framework floor req/s against the http floor',
    value: framework.rps,
    unit: 'req/s',
    baseline: { label: 'http floor req/s', value: http.rps },
    ratio: framework.rps / http.rps,
    target: 'info',
  },
  {
    id: 'http.rps.server',
    label: 'HTTP req/s of dist/server.js (plain node:http), same review',
    value: load.same.server.rps,
    unit: 'req/s',
    baseline: { label: 'framework floor req/s', value: framework.rps },
    ratio: load.same.server.rps / framework.rps,
    target: '≥ 0.80× framework floor',
    pass: load.same.server.rps / framework.rps >= 0.8,
  },
  {
    id: 'http.p99.server',
    label: 'HTTP p99 of dist/server.js, same review',
    value: load.same.server.p99,
    unit: 'ms',
    baseline: { label: 'framework floor p99', value: framework.p99 },
    ratio: load.same.server.p99 / framework.p99,
    target: '≤ 1.3× framework floor',
    pass: load.same.server.p99 / framework.p99 <= 1.3,
  },
  {
    id: 'http.rps.server.httpFloor',
    label: 'HTTP req/s of dist/server.js against the http floor',
    value: load.same.server.rps,
    unit: 'req/s',
    baseline: { label: 'http floor req/s', value: http.rps },
    ratio: load.same.server.rps / http.rps,
    target: 'info',
  },
  {
    id: 'http.rps.server.distinct',
    label: 'HTTP req/s of dist/server.js, distinct hello pods',
    value: load.distinct.server.rps,
    unit: 'req/s',
    baseline: { label: 'framework floor req/s, same bodies', value: load.distinct.framework.rps },
    ratio: load.distinct.server.rps / load.distinct.framework.rps,
    target: '≥ 0.80× framework floor',
    pass: load.distinct.server.rps / load.distinct.framework.rps >= 0.8,
  },
  {
    id: 'http.errors',
    label: 'errors + non-2xx + timeouts under load (ours and dist/server.js, all runs)',
    value:
      failures(ours) +
      failures(load.distinct.ours) +
      failures(load.same.server) +
      failures(load.distinct.server),
    unit: '',
    target: '0',
    pass:
      failures(ours) +
        failures(load.distinct.ours) +
        failures(load.same.server) +
        failures(load.distinct.server) ===
      0,
  },
  {
    id: 'rss.afterLoad',
    label: 'RSS of our server after the load run',
    value: load.rssKiB.afterLoad / 1024,
    unit: 'MiB',
    baseline: { label: 'RSS idle after start', value: load.rssKiB.idle / 1024 },
    ratio: load.rssKiB.afterLoad / load.rssKiB.idle,
    target: '≤ 128 MiB',
    pass: load.rssKiB.afterLoad <= 128 * 1024,
  },
);

const seconds_total = (performance.now() - started) / 1000;
const result = {
  when: new Date().toISOString(),
  node: process.version,
  quick,
  seconds: Math.round(seconds_total),
  figures: figures.map((f) => ({
    ...f,
    value: round(f.value),
    ...(f.ratio !== undefined && { ratio: round(f.ratio) }),
    ...(f.baseline && { baseline: { ...f.baseline, value: round(f.baseline.value) } }),
  })),
  raw: { bundles, core, lambda, cold, load, reviewBytes: { hello: Buffer.byteLength(body) } },
};

if (args.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  process.stdout.write(`${table(figures)}\n`);
  process.stdout.write(
    `\n${figures.filter((f) => f.pass === false).length} of ${figures.filter((f) => f.pass !== undefined).length} targets missed; ${seconds_total.toFixed(0)} s${quick ? ' (--quick)' : ''}, node ${process.version}\n`,
  );
}

function failures(r: { errors: number; non2xx: number; timeouts: number }): number {
  return r.errors + r.non2xx + r.timeouts;
}

function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  return Number(v.toFixed(digits));
}

function fmt(v: number, unit: string): string {
  return `${round(v).toLocaleString('en-US')}${unit ? ` ${unit}` : ''}`;
}

function table(rows: Figure[]): string {
  const cells = rows.map((f) => [
    f.label,
    fmt(f.value, f.unit),
    f.baseline ? `${fmt(f.baseline.value, f.unit === 'MiB' ? 'MiB' : f.unit)} (${f.baseline.label})` : '',
    f.ratio !== undefined ? `${round(f.ratio)}×` : '',
    f.target,
    f.pass === undefined ? '' : f.pass ? 'ok' : 'MISS',
  ]);
  const head = ['figure', 'value', 'baseline', 'ratio', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Runs bench/lambda-child.ts with stdout to /dev/null and returns what it measured. */
function measureLambdaInChild(): Promise<LambdaFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(join(ROOT, 'bench/lambda-child.ts'), quick ? ['--quick'] : [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      timeout: 120_000,
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-8000);
    });
    let answer: { figures?: LambdaFigures; error?: string } | undefined;
    child.on('message', (m) => {
      answer = m as typeof answer;
    });
    child.on('exit', (code, signal) => {
      if (answer?.figures) resolve(answer.figures);
      else reject(new Error(`lambda child failed (${code ?? signal}): ${answer?.error ?? ''}\n${stderr}`));
    });
  });
}

/** Rebuilds dist/ (npm run build) when a bundle is missing or older than the sources it is made of. */
function ensureBuild(): void {
  if (args['no-build']) return;
  const newest = Math.max(
    ...['lib', 'functions', 'infra/istio', 'scripts'].flatMap((dir) => mtimes(join(ROOT, dir))),
  );
  const oldestBundle = Math.min(
    ...BUNDLES.map((f) => {
      try {
        return statSync(join(ROOT, 'dist', f)).mtimeMs;
      } catch {
        return 0;
      }
    }),
  );
  if (oldestBundle >= newest) return;
  log('dist/ is older than the sources: npm run build ...');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('npm run build failed');
}

function mtimes(dir: string): number[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs);
}
