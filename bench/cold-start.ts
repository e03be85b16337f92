// Bundle sizes and cold starts of the two function bundles, each beside a baseline measured in the same
// run on the same machine, so the ratio means something on a shared, noisy box.
//
//   npx tsx bench/cold-start.ts [runs=5]
//
// GCP: spawn functions-framework on dist/gcp.js → first injected HTTP 200 (POST /inject, polled);
//      baseline: spawn a plain node:http server → first HTTP 200, polled the same way.
// AWS: spawn node importing dist/aws.js and invoking the handler once → its result on stdout;
//      baseline: spawn node printing a line.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { secretHash } from '../lib/auth/secret-hash.ts';
import { functionUrlEvent } from '../test/deploy/aws-events.ts';
import { bundleSize } from './lib/bundles.ts';
import { ensureBuilt } from '../test/deploy/build.ts';
import { deploymentPod, review } from '../test/support/reviews.ts';
import { freePort } from '../test/support/spawn-server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv[2] ?? 5);
const SECRET = 'bench-0123456789abcdef0123456789ab';
const ENV = {
  ...process.env,
  NODE_ENV: 'production',
  OUTRIGGER_AUTH_KEYS: JSON.stringify({ bench: secretHash('bench', SECRET) }),
};
const PATH = `/inject/cluster/bench/key/${SECRET}/net/n1`;
const BODY = JSON.stringify(review(deploymentPod('hello')));
const FF_MAIN = 'node_modules/@google-cloud/functions-framework/build/src/main.js';

await ensureBuilt();
const work = mkdtempSync(join(tmpdir(), 'outrigger-bench-'));
try {
  const sizes = ['gcp.js', 'aws.js'].map((entry) => ({
    file: `dist/${entry}`,
    ...bundleSize(join(ROOT, 'dist', entry)),
  }));

  const eventFile = join(work, 'event.json');
  writeFileSync(eventFile, JSON.stringify(functionUrlEvent({ path: PATH, body: BODY })));
  const awsScript = `import { readFileSync } from 'node:fs';
const { handler } = await import(${JSON.stringify(join(ROOT, 'dist/aws.js'))});
const out = await handler(JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8')));
const injected = out.statusCode === 200 && JSON.parse(out.body).response.patch !== undefined;
process.stdout.write(injected ? 'RESULT injected\\n' : 'RESULT ' + JSON.stringify(out) + '\\n');`;
  const serverScript = `import { createServer } from 'node:http';
createServer((req, res) => { req.resume(); req.on('end', () => res.end('{}')); }).listen(Number(process.env.PORT), '127.0.0.1');`;

  const results = {
    gcp: [] as number[],
    gcpBase: [] as number[],
    aws: [] as number[],
    awsBase: [] as number[],
  };
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so a noisy moment hits a baseline and a subject alike.
    results.gcpBase.push(await untilServes(['--input-type=module', '-e', serverScript], false));
    results.gcp.push(await untilServes([FF_MAIN, '--target=inject', '--source=dist/gcp.js'], true));
    results.awsBase.push(
      await untilPrints(['--input-type=module', '-e', "process.stdout.write('RESULT ok\\n')"]),
    );
    results.aws.push(await untilPrints(['--input-type=module', '-e', awsScript]));
  }

  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])) as Record<
    keyof typeof results,
    number
  >;
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  console.log(`node ${process.version}, ${RUNS} runs each, medians\n`);
  console.log('| bundle | loaded at start (static imports) | with every chunk it can load |\n|---|---|---|');
  for (const s of sizes)
    console.log(`| ${s.file} | ${s.atStart} (${kb(s.atStart)}) | ${s.reachable} (${kb(s.reachable)}) |`);
  console.log(
    '\n| cold start | median | runs | baseline | baseline median | ratio |\n|---|---|---|---|---|---|',
  );
  console.log(
    `| GCP: spawn functions-framework on dist/gcp.js → first injected 200 | ${ms(m.gcp)} | ${results.gcp.map(ms).join(', ')} | spawn node:http server → first 200 | ${ms(m.gcpBase)} | ${(m.gcp / m.gcpBase).toFixed(2)}x |`,
  );
  console.log(
    `| AWS: spawn node, import dist/aws.js, invoke once → result | ${ms(m.aws)} | ${results.aws.map(ms).join(', ')} | spawn node printing a line | ${ms(m.awsBase)} | ${(m.aws / m.awsBase).toFixed(2)}x |`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Spawn → first HTTP 200 to the review POST (with a patch when `injected`), polling every 5 ms. */
async function untilServes(args: string[], injected: boolean): Promise<number> {
  const port = await freePort();
  const start = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...ENV, PORT: String(port) },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}${PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: BODY,
        });
        const text = await res.text();
        if (res.status === 200 && (!injected || text.includes('"patch"'))) return performance.now() - start;
        throw new Error(`answered ${res.status}: ${text.slice(0, 200)}`);
      } catch (err) {
        if (!isConnectionRefused(err)) throw err;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await stop(child);
  }
}

/** Spawn → the child's first `RESULT` line on stdout. */
function untilPrints(args: string[]): Promise<number> {
  const start = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) return;
      const elapsed = performance.now() - start;
      if (line === 'RESULT ok' || line === 'RESULT injected') resolve(elapsed);
      else reject(new Error(line));
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before a result: ${out}`)));
  });
}

function isConnectionRefused(err: unknown): boolean {
  return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill();
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
