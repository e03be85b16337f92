// The `outrigger` command run after run: spawn → exit of `node cli.js kube-inject` on the example
// Deployment, with Node's compile cache already holding the command's code (a run before it, in the
// same temporary folder) and with an empty one (a fresh folder each run), alternately.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { artifactEnv, isolatedDir, removeDir } from '../../test/deploy/isolated.ts';
import { ROOT } from '../../test/support/spawn-server.ts';
import { type Paired, paired } from './stats.ts';

function runCli(dist: string, tmp: string): Promise<number> {
  const args = [join(dist, 'cli.js'), 'kube-inject', '-f', join(ROOT, 'examples/deployment.yaml')];
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: artifactEnv({ TMPDIR: tmp }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - start;
      if (code === 0) resolve(ms);
      else reject(new Error(`cli.js kube-inject exited ${code}: ${stderr.slice(0, 2000)}`));
    });
  });
}

/** Milliseconds per run with the cache warm (subject) and empty (baseline), `runs` of each. */
export async function measureCliRuns(dist: string, runs: number): Promise<Paired> {
  const warm = isolatedDir('bench-cli-cache');
  try {
    await runCli(dist, warm);
    const w: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < runs; i++) {
      const cold = async () => {
        const tmp = isolatedDir('bench-cli-nocache');
        try {
          c.push(await runCli(dist, tmp));
        } finally {
          removeDir(tmp);
        }
      };
      if (i % 2 === 0) {
        await cold();
        w.push(await runCli(dist, warm));
      } else {
        w.push(await runCli(dist, warm));
        await cold();
      }
    }
    return paired(w, c);
  } finally {
    removeDir(warm);
  }
}
