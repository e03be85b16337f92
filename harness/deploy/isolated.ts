// An artifact run as deployed: in an empty folder under the system temp dir, where no node_modules of
// this repository (or any other) can be found, started with this Node and an environment of its own.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { httpRequest } from '../support/http-request.ts';
import { freePort } from '../support/spawn-server.ts';

/** An empty folder under os.tmpdir() with no node_modules in it or in any folder above it. */
export function isolatedDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `outrigger-${prefix}-`)));
  assert.deepEqual(readdirSync(dir), []);
  assertNoNodeModulesAbove(dir);
  return dir;
}

/**
 * Node resolves a bare import from `dir/node_modules`, then each parent's: none may exist, so the
 * artifact can only use what it carries (a Cloud Functions folder carries its own, `self: false`).
 */
export function assertNoNodeModulesAbove(dir: string, opts: { self?: boolean } = {}): void {
  let at = opts.self === false ? dirname(dir) : dir;
  for (;;) {
    const candidate = join(at, 'node_modules');
    assert.ok(!existsSync(candidate), `${candidate} exists: an artifact in ${dir} could import from it`);
    const up = dirname(at);
    if (up === at) return;
    at = up;
  }
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * The environment of an artifact: PATH without node_modules/.bin folders (npm run puts ours first) and
 * nothing else of this process (no NODE_OPTIONS, NODE_PATH, npm_* or test-runner variables), plus `env`.
 * The command's compile cache (lib/cli/compile-cache.ts) is off, so runs write nothing to the user's
 * cache folder; the test of the cache takes the variable out.
 */
export function artifactEnv(env: Record<string, string>): Record<string, string> {
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p && !/node_modules[\\/]\.bin/.test(p))
    .join(delimiter);
  return { PATH: path, NODE_DISABLE_COMPILE_CACHE: '1', ...env };
}

/**
 * The environment of a tool run like a build step (npm install): this one without what npm run and the
 * test runner add (npm_*, INIT_CWD, NODE_OPTIONS, NODE_PATH, NODE_TEST_CONTEXT). The machine's own,
 * such as NODE_EXTRA_CA_CERTS for a TLS proxy in front of the registry, stays.
 */
export function toolEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(npm_.*|init_cwd|node_options|node_path|node_test_context|node_env)$/i.test(k))
      continue;
    env[k] = v;
  }
  return artifactEnv(env);
}

/** A child process whose stdout and stderr are kept for assertions and failure messages. */
export interface Child {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Both streams, labelled, for a failure message. */
  describe(): string;
  /** Resolves with the exit code (or signal) once the child has exited. */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

const KEEP = 256 * 1024;

/** Starts `node args...` (this Node, process.execPath) in `dir`, or `opts.command`. */
export function startChild(
  label: string,
  dir: string,
  args: string[],
  env: Record<string, string>,
  opts: { stdin?: 'pipe' | 'ignore'; command?: string } = {},
): Child {
  const command = opts.command ?? process.execPath;
  const child = spawn(command, args, { cwd: dir, env, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-KEEP)));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-KEEP)));
  const exited = new Promise<number | string>((resolve) => {
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (e) => {
      err += `\n${command} could not be started: ${e.message}\n`;
      resolve('not started');
    });
  });
  const tail = (s: string, n: number) => (s.length > n ? `...${s.slice(-n)}` : s);
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    describe: () =>
      `--- ${label}: ${opts.command ?? 'node'} ${args.map((a) => (a.length > 80 ? '<script>' : a)).join(' ')} in ${dir}` +
      `${child.exitCode !== null || child.signalCode !== null ? `, exited ${child.exitCode ?? child.signalCode}` : ''}\n` +
      `--- stderr:\n${tail(err, 8000)}\n--- stdout:\n${tail(out, 3000)}\n---`,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.kill('SIGTERM');
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Runs `node args...` (or `opts.command`) to its end; throws with its output on failure or timeout. */
export async function runToEnd(
  label: string,
  dir: string,
  args: string[],
  env: Record<string, string>,
  opts: { timeoutMs?: number; command?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  const child = startChild(label, dir, args, env, { command: opts.command });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  assert.equal(code, 0, `${label} failed (${code})\n${child.describe()}`);
  return { stdout: child.stdout(), stderr: child.stderr() };
}

/** An HTTP artifact listening on a free loopback port (`{port}` in `args`, and PORT). */
export interface HttpArtifact extends Child {
  url: string;
}

export async function startHttpArtifact(
  label: string,
  dir: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<HttpArtifact> {
  const port = await freePort();
  const child = startChild(
    label,
    dir,
    args.map((a) => a.replaceAll('{port}', String(port))),
    { ...env, PORT: String(port) },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await httpRequest(`${url}/healthz`, { timeoutMs: 2000 })).status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.process.exitCode !== null || Date.now() > deadline) {
      await child.stop();
      throw new Error(`${label} did not answer GET /healthz with 200\n${child.describe()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ...child, url };
}
