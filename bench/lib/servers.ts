// Out-of-process measurements: throughput and latency under load (autocannon), cold start (spawn → first
// good answer) and memory, for our function and its two floors, each a separate process on loopback.
import autocannon from 'autocannon';
import { httpRequest } from '../../test/support/http-request.ts';
import {
  functionsFramework,
  type ServerProcess,
  type SpawnOptions,
  spawnServer,
} from '../../test/support/spawn-server.ts';

/** ours: functions-framework on dist/gcp.js; server: dist/server.js on plain node:http (Cloud Run). */
export type ServerName = 'ours' | 'server' | 'framework' | 'http';

/** How each server is started: ours is the built GCP bundle, auth off (another engineer's feature). */
export function serverOptions(name: ServerName): SpawnOptions {
  switch (name) {
    case 'ours':
      return functionsFramework('dist/gcp.js', { OUTRIGGER_AUTH: 'off' });
    case 'server':
      return { args: ['dist/server.js'], env: { OUTRIGGER_AUTH: 'off' } };
    case 'framework':
      return functionsFramework('bench/noop-function.js');
    case 'http':
      return { args: ['bench/http-floor.js', '{port}'] };
  }
}

/** Ready means: a POST of the review answers 200, and for ours, with a patch (a real injection). */
function readyProbe(name: ServerName, body: string): (url: string) => Promise<boolean> {
  return async (url) => {
    const res = await httpRequest(`${url}/inject`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      timeoutMs: 5000,
    });
    const injects = name === 'ours' || name === 'server';
    return res.status === 200 && (!injects || res.text.includes('"patch"'));
  };
}

export async function startServer(name: ServerName, body: string): Promise<ServerProcess> {
  return spawnServer({ ...serverOptions(name), ready: readyProbe(name, body), pollMs: 5 });
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /**
   * p99 without each connection's first response: autocannon opens its 50 connections at once, and a
   * saturated server answers the first request of each new connection late (up to seconds).
   */
  p99Steady: number;
  requests: number;
  errors: number;
  non2xx: number;
  timeouts: number;
  seconds: number;
}

/**
 * `seconds` of load at `connections` connections: POST /inject with `body`, or with each of `bodies` in
 * turn (distinct pods; autocannon builds each request, which costs the load generator a little).
 */
export async function runLoad(
  url: string,
  body: string | string[],
  seconds: number,
  connections = 50,
): Promise<LoadResult> {
  const headers = { 'content-type': 'application/json' };
  let next = 0;
  const bodies = Array.isArray(body) ? body : undefined;
  const seen = new WeakSet<object>();
  const steady: number[] = [];
  const instance = autocannon({
    url: `${url}/inject`,
    method: 'POST',
    headers,
    connections,
    duration: seconds,
    timeout: 10,
    ...(bodies
      ? {
          requests: [
            {
              method: 'POST',
              path: '/inject',
              headers,
              setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] as string }),
            },
          ],
        }
      : { body: body as string }),
  });
  instance.on('response', (client, _status, _bytes, ms) => {
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
    seconds: r.duration,
  };
}

export interface LoadFigures {
  /** The same review on every request (replicas of one workload, as far as a cache can tell). */
  same: Record<ServerName, LoadResult>;
  /** A distinct pod on every request (no cache can help); not run for the http floor. */
  distinct: Record<Exclude<ServerName, 'http'>, LoadResult>;
  /** Our server's RSS in KiB, idle after start and right after its load runs. */
  rssKiB: { idle: number; afterLoad: number };
}

/**
 * Each server in turn: start, warm up, `seconds` of load at 50 connections with the same review, then
 * (all but the http floor) `seconds` with distinct pods, stop.
 */
export async function measureLoad(
  body: string,
  distinctBodies: string[],
  seconds: number,
  warmSeconds: number,
): Promise<LoadFigures> {
  const same = {} as LoadFigures['same'];
  const distinct = {} as LoadFigures['distinct'];
  let rss = { idle: Number.NaN, afterLoad: Number.NaN };
  for (const name of ['http', 'framework', 'ours', 'server'] as const) {
    const server = await startServer(name, body);
    try {
      const idle = name === 'ours' ? server.rssKiB() : Number.NaN;
      await runLoad(server.url, body, warmSeconds);
      same[name] = await runLoad(server.url, body, seconds);
      if (name !== 'http') distinct[name] = await runLoad(server.url, distinctBodies, seconds);
      if (name === 'ours') rss = { idle, afterLoad: server.rssKiB() };
      if (server.exitCode() !== null) throw new Error(`${name} server exited:\n${server.output()}`);
    } finally {
      await server.stop();
    }
  }
  return { same, distinct, rssKiB: rss };
}

export interface ColdStart {
  /** Median, min and max milliseconds from spawn to the first good answer. */
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** Cold starts of each server, interleaved so machine noise hits all of them alike. */
export async function measureColdStarts(body: string, runs: number): Promise<Record<ServerName, ColdStart>> {
  const times: Record<ServerName, number[]> = { ours: [], server: [], framework: [], http: [] };
  for (let i = 0; i < runs; i++) {
    for (const name of ['ours', 'server', 'http', 'framework'] as const) {
      const server = await startServer(name, body);
      times[name].push(server.readyMs);
      await server.stop();
    }
  }
  const summary = (t: number[]): ColdStart => {
    const sorted = [...t].sort((a, b) => a - b);
    return {
      median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
      min: sorted[0] ?? Number.NaN,
      max: sorted[sorted.length - 1] ?? Number.NaN,
      runs: t.map((x) => Math.round(x)),
    };
  };
  return {
    ours: summary(times.ours),
    server: summary(times.server),
    framework: summary(times.framework),
    http: summary(times.http),
  };
}
