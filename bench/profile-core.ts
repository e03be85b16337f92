// CPU profile of the in-process core (handleReview on distinct pods): where the time of one review goes.
//
//   npx tsx bench/profile-core.ts [--seconds 4] [--pod hello|env2000] [--top 25] [--keep]
//
// Runs itself as a child under `node --cpu-prof`, then reads the profile and prints the functions with
// the most self time (and the inclusive time of the pipeline stages), as percentages of all samples.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summariseProfile } from './lib/cpu-profile.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values: args } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '4' },
    pod: { type: 'string', default: 'hello' },
    top: { type: 'string', default: '25' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

if (args.child) {
  const { runCoreLoop } = await import('./lib/core.ts');
  const n = await runCoreLoop(args.pod === 'env2000' ? 'env2000' : 'hello', Number(args.seconds) * 1000);
  process.stderr.write(`profiled ${n} reviews\n`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-prof-'));
  try {
    const child = spawnSync(
      process.execPath,
      [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        '--cpu-prof-interval=200',
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child',
        '--seconds',
        args.seconds,
        '--pod',
        args.pod,
      ],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 120_000 },
    );
    if (child.status !== 0) throw new Error(`profiled child failed: ${child.status ?? child.signal}`);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    const summary = summariseProfile(
      JSON.parse(readFileSync(join(dir, file), 'utf8')),
      ROOT,
      Number(args.top),
    );
    if (args.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(`${summary.text}\n`);
      if (args.keep) process.stdout.write(`profile kept in ${join(dir, file)}\n`);
    }
  } finally {
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}
