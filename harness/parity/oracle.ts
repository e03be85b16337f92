// Istio's own kube-inject (test/istiod/oracle, built by test/controlplane/build.sh) as a child process:
// one request a line in, one answer a line out, in order.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../.scratch/controlplane/', import.meta.url));

/** The oracle binary of a release folder (1.30, master), or undefined when it is not built. */
export function oracleBinary(release: string): string | undefined {
  const path = `${BIN}istio-oracle-${release}`;
  return existsSync(path) ? path : undefined;
}

export interface OracleRequest {
  /** The istio-sidecar-injector ConfigMap's `config` text. */
  config: string;
  /** Its `values` text (JSON). */
  values: string;
  /** Mesh config (YAML) over Istio's defaults. */
  mesh: string;
  native: boolean;
  revision?: string;
  input: string;
}

export interface OracleAnswer {
  output?: string;
  error?: string;
  warnings?: string[];
}

export interface Oracle {
  inject(request: OracleRequest): Promise<OracleAnswer>;
  close(): Promise<void>;
}

export function startOracle(binary: string): Oracle {
  const child: ChildProcessWithoutNullStreams = spawn(binary, ['inject'], { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const pending = new Map<string, (a: OracleAnswer) => void>();
  let next = 0;
  let failed: Error | undefined;
  const fail = (err: Error) => {
    failed = err;
    for (const reject of pending.values()) reject({ error: `oracle failed: ${err.message}` });
    pending.clear();
  };
  child.on('exit', (code) => {
    if (pending.size) fail(new Error(`exited ${code}: ${stderr.slice(-2000)}`));
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const answer = JSON.parse(line) as OracleAnswer & { id: string };
    const resolve = pending.get(answer.id);
    pending.delete(answer.id);
    resolve?.(answer);
  });
  return {
    inject: (request) => {
      if (failed) return Promise.reject(failed);
      const id = String(++next);
      return new Promise((resolve) => {
        pending.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ id, revision: '', ...request })}\n`);
      });
    },
    close: async () => {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}
