// Servers as separate processes on loopback, and load on them (autocannon): our entry points, their
// floors, and the load comparison of dist/server.js with the plain node:http floor.
import autocannon from 'autocannon';
import { join } from 'node:path';
import { httpRequest } from '../../harness/support/http-request.ts';
import { artifactEnv } from '../../harness/deploy/isolated.ts';
import { DEPLOYED_RUNTIME_ENV } from '../../harness/support/deployed-env.ts';
import {
  functionsFramework,
  type ServerProcess,
  type SpawnOptions,
  spawnServer,
} from '../../harness/support/spawn-server.ts';
import { median } from './stats.ts';

/**
 * ours: functions-framework on dist/gcp.js; server: dist/server.js on plain node:http (Cloud Run);
 * framework: functions-framework on a no-op function (bench/noop-function.js); http: the plain
 * node:http floor (bench/http-floor.js). Ours and server run with OUTRIGGER_AUTH=off.
 */
export type ServerName = 'ours' | 'server' | 'framework' | 'http';

/**
 * How each server is started; `dist` is the folder of the bundles (a snapshot of dist/, or dist/). Every
 * server, floors included, starts as deployed: from PATH and what the deployments set for the runtime
 * (serverless.yml, infra/gcp/deploy.sh), none of this machine's variables. NODE_EXTRA_CA_CERTS, which
 * this machine sets for its registry's proxy, costs each Node 20 start about 50 ms of reading
 * certificates, and inherited it made the floors' starts twice as long as a platform's.
 */
export function serverOptions(name: ServerName, dist = 'dist'): SpawnOptions {
  return { ...startOptions(name, dist), baseEnv: artifactEnv(DEPLOYED_RUNTIME_ENV) };
}

function startOptions(name: ServerName, dist: string): SpawnOptions {
  switch (name) {
    case 'ours':
      return functionsFramework(join(dist, 'gcp.js'), { OUTRIGGER_AUTH: 'off' });
    case 'server':
      return { args: [join(dist, 'server.js')], env: { OUTRIGGER_AUTH: 'off' } };
    case 'framework':
      return functionsFramework('bench/noop-function.js');
    case 'http':
      return { args: ['bench/http-floor.js', '{port}'] };
  }
}

export function injects(name: ServerName): boolean {
  return name === 'ours' || name === 'server';
}

/** Ready means: a POST of the review answers 200, and for ours and server, with a patch. */
function readyProbe(name: ServerName, body: string): (url: string) => Promise<boolean> {
  return async (url) => {
    const res = await httpRequest(`${url}/inject`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      timeoutMs: 5000,
    });
    if (res.status !== 200) return false;
    if (injects(name) && !res.text.includes('"patch"'))
      throw new Error(`${name} answered without a patch: ${res.text.slice(0, 300)}`);
    return true;
  };
}

/** Starts a server; its `readyMs` is spawn → first good answer to `body`, polled every 5 ms. */
export async function startServer(name: ServerName, body: string, dist = 'dist'): Promise<ServerProcess> {
  return spawnServer({ ...serverOptions(name, dist), ready: readyProbe(name, body), pollMs: 5 });
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /**
   * p99 without each connection's first response: autocannon opens its connections at once, and a
   * saturated server answers the first request of each new connection late.
   */
  p99Steady: number;
  requests: number;
  errors: number;
  non2xx: number;
  timeouts: number;
  /** 2xx answers shorter than `minAnswerBytes` (not an injection), when that was given. */
  short: number;
  seconds: number;
}

/**
 * `seconds` of load at `connections` connections: POST /inject with `body`, with each of `bodies` in
 * turn, or with `next()` for each request. With `minAnswerBytes`, answers shorter than that are counted
 * (an injected answer carries its patch; a refusal or a pass-through is a few hundred bytes).
 */
export async function runLoad(
  url: string,
  body: string | string[] | (() => string),
  seconds: number,
  connections = 50,
  opts: { minAnswerBytes?: number } = {},
): Promise<LoadResult> {
  const headers = { 'content-type': 'application/json' };
  let i = 0;
  const next =
    typeof body === 'function'
      ? body
      : Array.isArray(body)
        ? () => body[i++ % body.length] as string
        : undefined;
  const seen = new WeakSet<object>();
  const steady: number[] = [];
  let short = 0;
  const instance = autocannon({
    url: `${url}/inject`,
    method: 'POST',
    headers,
    connections,
    duration: seconds,
    timeout: 10,
    ...(next
      ? {
          requests: [
            {
              method: 'POST',
              path: '/inject',
              headers,
              setupRequest: (req) => ({ ...req, body: next() }),
            },
          ],
        }
      : { body: body as string }),
  });
  // on() hands back the run itself, awaited below.
  void instance.on('response', (client, status, bytes, ms) => {
    if (opts.minAnswerBytes && status >= 200 && status < 300 && bytes < opts.minAnswerBytes) short++;
    if (seen.has(client)) steady.push(ms);
    else seen.add(client);
  });
  const r = await instance;
  steady.sort((a, b) => a - b);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p99Steady: steady[Math.min(steady.length - 1, Math.floor(steady.length * 0.99))] ?? Number.NaN,
    requests: r.latency.totalCount,
    errors: r.errors,
    non2xx: r.non2xx,
    timeouts: r.timeouts,
    short,
    seconds: r.duration,
  };
}

export interface ServerLoadFigures {
  /** Medians over the rounds, and the median of the per-round ratios to the floor. */
  rps: { server: number; floor: number; ratio: number };
  p99: { server: number; floor: number; ratio: number };
  p99Steady: { server: number; floor: number };
  rounds: { server: LoadResult; floor: LoadResult }[];
  /** dist/server.js's RSS in KiB: idle after start (one review answered), and after its last round. */
  rssKiB: { idle: number; afterLoad: number };
}

/**
 * dist/server.js against the http floor, both running throughout: a warm-up of each, then `rounds`
 * rounds of `seconds` at `connections` connections on each, alternating which goes first. Every
 * request is a distinct workload from `next` (one series for both, so the server never sees a pod
 * twice). Throws on any error, non-2xx, timeout or (server) answer without a patch.
 */
export async function measureServerLoad(
  dist: string,
  next: () => string,
  opts: { seconds: number; rounds: number; warmSeconds: number; connections: number },
): Promise<ServerLoadFigures> {
  const probe = next();
  const floor = await startServer('http', probe, dist);
  let server: ServerProcess | undefined;
  try {
    server = await startServer('server', probe, dist);
    const s = server;
    const idle = s.rssKiB();
    const answer = await httpRequest(`${s.url}/inject`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: next(),
    });
    const minAnswerBytes = Math.floor(answer.body.length / 2);
    const load = async (which: 'server' | 'floor', seconds: number) => {
      const target = which === 'server' ? s : floor;
      const r = await runLoad(target.url, next, seconds, opts.connections, {
        ...(which === 'server' && { minAnswerBytes }),
      });
      const bad = r.errors + r.non2xx + r.timeouts + r.short;
      if (bad > 0 || target.exitCode() !== null) {
        throw new Error(
          `${which} under load: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts, ${r.short} answers without a patch` +
            `${target.exitCode() !== null ? `, exited ${target.exitCode()}` : ''}\n${target.output().slice(-3000)}`,
        );
      }
      return r;
    };
    await load('floor', opts.warmSeconds);
    await load('server', opts.warmSeconds);
    const rounds: ServerLoadFigures['rounds'] = [];
    let afterLoad = Number.NaN;
    for (let r = 0; r < opts.rounds; r++) {
      let serverResult: LoadResult;
      let floorResult: LoadResult;
      if (r % 2 === 0) {
        floorResult = await load('floor', opts.seconds);
        serverResult = await load('server', opts.seconds);
        afterLoad = s.rssKiB();
      } else {
        serverResult = await load('server', opts.seconds);
        afterLoad = s.rssKiB();
        floorResult = await load('floor', opts.seconds);
      }
      rounds.push({ server: serverResult, floor: floorResult });
    }
    const of = (k: 'rps' | 'p99' | 'p99Steady', w: 'server' | 'floor') => rounds.map((x) => x[w][k]);
    const ratio = (k: 'rps' | 'p99') => median(rounds.map((x) => x.server[k] / x.floor[k]));
    return {
      rps: { server: median(of('rps', 'server')), floor: median(of('rps', 'floor')), ratio: ratio('rps') },
      p99: { server: median(of('p99', 'server')), floor: median(of('p99', 'floor')), ratio: ratio('p99') },
      p99Steady: { server: median(of('p99Steady', 'server')), floor: median(of('p99Steady', 'floor')) },
      rounds,
      rssKiB: { idle, afterLoad },
    };
  } finally {
    await server?.stop();
    await floor.stop();
  }
}
