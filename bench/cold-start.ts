// The cold-start figures of `npm run bench` alone (bench/lib/cold-starts.ts): dist/server.js, the Lambda
// package and functions-framework on dist/gcp.js, each beside its floor, interleaved, medians.
//
//   npx tsx bench/cold-start.ts [runs=9]
import { distinctWorkloads } from './lib/bodies.ts';
import { measureColdStarts } from './lib/cold-starts.ts';
import { snapshotDist } from './lib/dist-snapshot.ts';

const runs = Number(process.argv[2] ?? 9);
const snapshot = await snapshotDist(true);
try {
  const { pairs } = await measureColdStarts(snapshot.dir, distinctWorkloads()(0), runs);
  const names = {
    server: ['dist/server.js', 'plain node:http floor'],
    lambda: ['Lambda package: import + first invoke', 'no-op handler packaged the same way'],
    gcp: ['functions-framework on dist/gcp.js', 'functions-framework on a no-op'],
  } as const;
  console.log(`node ${process.version}, spawn → first injected answer, ${runs} interleaved runs, medians\n`);
  console.log(
    '| cold start | median | runs | baseline | median | runs | ratio |\n|---|---|---|---|---|---|---|',
  );
  for (const [k, p] of Object.entries(pairs) as [keyof typeof pairs, (typeof pairs)[keyof typeof pairs]][]) {
    const [subject, baseline] = names[k];
    console.log(
      `| ${subject} | ${p.subject.toFixed(0)} ms | ${p.subjectRuns.join(', ')} | ${baseline} | ${p.baseline.toFixed(0)} ms | ${p.baselineRuns.join(', ')} | ${p.ratio.toFixed(2)}× |`,
    );
  }
} finally {
  snapshot.remove();
}
