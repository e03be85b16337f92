// Server processes for robustness tests, benchmarks and the soak test: functions-framework running a
// source file, or any plain Node server script. Loopback only; the caller stops what it starts.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpRequest } from './http-request.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FF_MAIN = 'node_modules/@google-cloud/functions-framework/build/src/main.js';

export interface ServerProcess {
  url: string;
  pid: number;
  /** Milliseconds from spawn until `ready` first said yes. */
  readyMs: number;
  /** null while running. */
  exitCode(): number | null;
  signal(): NodeJS.Signals | null;
  /** Resident set size of the process in KiB (VmRSS from /proc/<pid>/status). */
  rssKiB(): number;
  output(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Arguments after the node executable; `{port}` is replaced by a free port. */
  args: string[];
  env?: Record<string, string>;
  /** The environment `env` is laid over: this process's unless given. */
  baseEnv?: Record<string, string>;
  /** Answers true once the server is ready (default: GET /healthz → 200). */
  ready?: (url: string) => Promise<boolean>;
  pollMs?: number;
  timeoutMs?: number;
}

/** functions-framework (main.js, no npx) serving target `inject` from `source`, NODE_ENV=production. */
export function functionsFramework(source: string, env: Record<string, string> = {}): SpawnOptions {
  return {
    args: [FF_MAIN, '--target=inject', `--source=${source}`, '--port={port}'],
    env: { NODE_ENV: 'production', ...env },
  };
}

export async function spawnServer(opts: SpawnOptions): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const ready =
    opts.ready ??
    (async (u: string) => (await httpRequest(`${u}/healthz`, { timeoutMs: 2000 })).status === 200);
  // The server's stdout and stderr go to a file, not a pipe: a log line per request must cost the server
  // what a platform's log capture costs, and cost this process (often the load generator) nothing.
  const logDir = mkdtempSync(join(tmpdir(), 'outrigger-server-'));
  const logFile = join(logDir, 'output.log');
  const fd = openSync(logFile, 'a');
  const start = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      opts.args.map((a) => a.replaceAll('{port}', String(port))),
      {
        cwd: ROOT,
        env: { ...(opts.baseEnv ?? process.env), PORT: String(port), ...opts.env },
        stdio: ['ignore', fd, fd],
      },
    );
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let lastOutput = '';
  const output = () => {
    try {
      lastOutput = tail(logFile, 64 * 1024);
    } catch {
      // removed after stop: keep what was read last
    }
    return lastOutput;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    }
    output();
    rmSync(logDir, { recursive: true, force: true });
  };
  const deadline = start + (opts.timeoutMs ?? 15_000);
  let readyMs = -1;
  while (readyMs < 0) {
    try {
      if (await ready(url)) readyMs = performance.now() - start;
    } catch {
      // not listening yet
    }
    if (readyMs >= 0) break;
    if (child.exitCode !== null || performance.now() > deadline) {
      await stop();
      throw new Error(`server ${opts.args.join(' ')} did not become ready:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 20));
  }
  const pid = child.pid ?? -1;
  return {
    url,
    pid,
    readyMs,
    exitCode: () => child.exitCode,
    signal: () => child.signalCode,
    rssKiB: () => {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) : Number.NaN;
    },
    output,
    stop,
  };
}

/** The last `bytes` of a file, as text. */
function tail(file: string, bytes: number): string {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const length = Math.min(size, bytes);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
