// Cold starts, spawn → first good answer, each subject beside its floor and all of them interleaved
// run by run (a floor and its subject adjacent, in alternating order), so a noisy moment hits both.
//
//   server: dist/server.js → first injected 200     floor: bench/http-floor.js → first 200
//   lambda: the function's package → first injected  floor: bench/noop-handler.js, packaged the same way
//   gcp:    functions-framework on dist/gcp.js       floor: functions-framework on bench/noop-function.js
import { functionPackage, type LambdaPackage, lambdaColdStart, noopPackage } from './lambda-package.ts';
import { type ServerName, startServer } from './servers.ts';
import { type Paired, paired } from './stats.ts';

export type ColdPair = 'server' | 'lambda' | 'gcp';

export interface ColdStartFigures {
  pairs: Record<ColdPair, Paired & { subjectRuns: number[]; baselineRuns: number[] }>;
}

/** `runs` cold starts of each subject and floor, milliseconds. */
export async function measureColdStarts(dist: string, body: string, runs: number): Promise<ColdStartFigures> {
  const fn = functionPackage(dist);
  let noop: LambdaPackage | undefined;
  try {
    noop = noopPackage();
    const lambdas = { fn, noop };
    const server = async (name: ServerName) => {
      const s = await startServer(name, body, dist);
      await s.stop();
      return s.readyMs;
    };
    const starts: Record<ColdPair, [() => Promise<number>, () => Promise<number>]> = {
      server: [() => server('server'), () => server('http')],
      lambda: [() => lambdaColdStart(lambdas.fn, body), () => lambdaColdStart(lambdas.noop, body)],
      gcp: [() => server('ours'), () => server('framework')],
    };
    const times = {} as Record<ColdPair, { s: number[]; b: number[] }>;
    for (const k of Object.keys(starts) as ColdPair[]) times[k] = { s: [], b: [] };
    for (let i = 0; i < runs; i++) {
      for (const [k, [subject, baseline]] of Object.entries(starts) as [
        ColdPair,
        (typeof starts)[ColdPair],
      ][]) {
        if (i % 2 === 0) {
          times[k].b.push(await baseline());
          times[k].s.push(await subject());
        } else {
          times[k].s.push(await subject());
          times[k].b.push(await baseline());
        }
      }
    }
    const pair = (k: ColdPair) => ({
      ...paired(times[k].s, times[k].b),
      subjectRuns: times[k].s.map(Math.round),
      baselineRuns: times[k].b.map(Math.round),
    });
    return { pairs: { server: pair('server'), lambda: pair('lambda'), gcp: pair('gcp') } };
  } finally {
    fn.remove();
    noop?.remove();
  }
}
