// The `outrigger` command run after run: spawn → exit of `node cli.js kube-inject` on the example
// Deployment, with the command's compile cache already holding its code (a run before, with the same
// home folder) and with the cache off (NODE_DISABLE_COMPILE_CACHE=1, as every run was before the
// command turned it on), alternately.
import { join } from 'node:path';
import { artifactEnv, isolatedDir, removeDir, runToEnd } from '../../harness/deploy/isolated.ts';
import { ROOT } from '../../harness/support/spawn-server.ts';
import { type Paired, paired } from './stats.ts';

const EXAMPLE = join(ROOT, 'examples/deployment.yaml');

async function runCli(dist: string, env: Record<string, string>): Promise<number> {
  const start = performance.now();
  await runToEnd('cli.js kube-inject', dist, ['cli.js', 'kube-inject', '-f', EXAMPLE], env);
  return performance.now() - start;
}

/** Milliseconds per run with the cache warm (subject) and off (baseline), `runs` of each. */
export async function measureCliRuns(dist: string, runs: number): Promise<Paired> {
  const home = isolatedDir('bench-cli-home');
  try {
    const off = artifactEnv({ HOME: home });
    const { NODE_DISABLE_COMPILE_CACHE: _, ...on } = off;
    await runCli(dist, on);
    const warm: number[] = [];
    const none: number[] = [];
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) {
        none.push(await runCli(dist, off));
        warm.push(await runCli(dist, on));
      } else {
        warm.push(await runCli(dist, on));
        none.push(await runCli(dist, off));
      }
    }
    return paired(warm, none);
  } finally {
    removeDir(home);
  }
}
