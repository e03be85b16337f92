// Soak test (not in CI): `npm run soak` builds, then loads the functions-framework server (dist/gcp.js, auth off) for
// 60 s at 50 connections with distinct hello pods, samples its RSS every 5 s, and fails unless there
// were no errors and memory stayed flat (the last sample ≤ 1.2× the sample at 10 s).
//
//   npm run soak -- [--seconds 60] [--connections 50] [--same]   (--same: one review, replicas only)
import { parseArgs } from 'node:util';
import { runLoad, startServer } from '../bench/lib/servers.ts';
import { distinctHelloBodies, helloReview } from '../harness/support/pod-variants.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    connections: { type: 'string', default: '50' },
    same: { type: 'boolean', default: false },
  },
});
const seconds = Math.min(Math.max(Number(args.seconds), 15), 3600);
const connections = Math.min(Math.max(Number(args.connections), 1), 500);
const SAMPLE_MS = 5000;
const FLAT = 1.2;

const body = JSON.stringify(helloReview(0));
const bodies = args.same ? body : distinctHelloBodies(50_000, 1_000_000);
const server = await startServer('ours', body);
const samples: { s: number; rssMiB: number }[] = [];
const start = performance.now();
const sample = () => {
  const rssMiB = server.rssKiB() / 1024;
  const s = Math.round((performance.now() - start) / 1000);
  samples.push({ s, rssMiB });
  process.stdout.write(`t=${String(s).padStart(3)} s  rss ${rssMiB.toFixed(1)} MiB\n`);
};
let failed: boolean;
try {
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  const load = await runLoad(server.url, bodies, seconds, connections).finally(() => clearInterval(timer));
  sample();
  const errors = load.errors + load.non2xx + load.timeouts;
  const at10 = samples.find((x) => x.s >= 10) ?? samples[0];
  const last = samples[samples.length - 1];
  const ratio = last && at10 ? last.rssMiB / at10.rssMiB : Number.NaN;
  const flat = ratio <= FLAT;
  process.stdout.write(
    [
      '',
      `${seconds} s at ${connections} connections, ${args.same ? 'one review' : 'distinct pods'}: ${load.requests} requests, ${load.rps.toFixed(0)} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms (steady ${load.p99Steady.toFixed(0)} ms)`,
      `errors ${load.errors}, non-2xx ${load.non2xx}, timeouts ${load.timeouts}: ${errors === 0 ? 'ok' : 'FAIL'}`,
      `rss at ${at10?.s} s ${at10?.rssMiB.toFixed(1)} MiB → last ${last?.rssMiB.toFixed(1)} MiB = ${ratio.toFixed(2)}× (flat ≤ ${FLAT}×): ${flat ? 'ok' : 'FAIL'}`,
      `server still running: ${server.exitCode() === null ? 'ok' : `FAIL (exit ${server.exitCode()})`}`,
      '',
    ].join('\n'),
  );
  failed = errors > 0 || !flat || server.exitCode() !== null;
} finally {
  await server.stop();
}
process.exitCode = failed ? 1 : 0;
