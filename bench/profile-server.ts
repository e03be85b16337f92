// CPU profile of our functions-framework server under load: where a request's time goes end to end
// (express, body parsing, auth, logging, the core).
//
//   npx tsx bench/profile-server.ts [--seconds 5] [--top 30]
//
// Serves functions/gcp.ts through tsx (readable names), loads it with autocannon (50 connections, hello
// pod), then stops it with SIGINT so V8 writes the profile, and prints the top self-time functions.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { helloReview } from '../harness/support/pod-variants.ts';
import { FF_MAIN, ROOT, spawnServer } from '../harness/support/spawn-server.ts';
import { summariseProfile } from './lib/cpu-profile.ts';
import { runLoad } from './lib/servers.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    top: { type: 'string', default: '30' },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'outrigger-prof-'));
try {
  const server = await spawnServer({
    args: [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--cpu-prof-interval=250',
      '--import',
      'tsx',
      FF_MAIN,
      '--target=inject',
      '--source=functions/gcp.ts',
      '--port={port}',
    ],
    env: { NODE_ENV: 'production', OUTRIGGER_AUTH: 'off' },
  });
  const body = JSON.stringify(helloReview(0));
  const load = await runLoad(server.url, body, Number(args.seconds));
  process.kill(server.pid, 'SIGINT');
  for (let i = 0; i < 100 && server.exitCode() === null && server.signal() === null; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.stop();
  process.stdout.write(
    `load: ${load.rps.toFixed(0)} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms, ${load.errors + load.non2xx} errors\n`,
  );
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written; server output:\n${server.output()}`);
  const summary = summariseProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')), ROOT, Number(args.top));
  process.stdout.write(`${summary.text}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
