// One warm Lambda instance on this machine: a Node process in the unpacked function folder that loads the
// handler as the Node.js runtime does (LAMBDA_TASK_ROOT, `<file>.<export>`), then answers one invocation
// at a time. Events arrive as JSON lines on stdin; each answer is a line on stdout marked with INVOKED,
// so the function's own log lines (also on stdout, as Lambda collects them) stay apart.
import { type Child, startChild } from './isolated.ts';

const INVOKED = '@@invoked ';

/** The invoker, run with `node --input-type=module -e`; it imports nothing but node: modules. */
const INVOKER = `
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
const [spec] = process.argv.slice(1);
const root = process.env.LAMBDA_TASK_ROOT;
const dot = spec.lastIndexOf('.');
const base = join(root, spec.slice(0, dot));
const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
if (!file) throw new Error('Runtime.ImportModuleError: no ' + base + '.js, .mjs or .cjs');
const mod = await import(pathToFileURL(file).href);
const handler = mod[spec.slice(dot + 1)];
if (typeof handler !== 'function') throw new Error('Runtime.HandlerNotFound: ' + spec + ' is not a function');
let n = 0;
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  const { id, event } = JSON.parse(line);
  const context = {
    awsRequestId: 'req-' + ++n,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    getRemainingTimeInMillis: () => 10000,
    callbackWaitsForEmptyEventLoop: true,
  };
  let answer;
  try {
    answer = { id, result: await handler(event, context) };
  } catch (err) {
    answer = { id, error: String(err && err.stack || err) };
  }
  process.stdout.write(${JSON.stringify(INVOKED)} + JSON.stringify(answer) + '\\n');
}
`;

export interface LambdaInstance extends Child {
  invoke(event: unknown, timeoutMs?: number): Promise<unknown>;
}

/**
 * Starts the instance for handler `spec` (the template's Handler, e.g. `dist/aws.handler`) in `dir`;
 * `env` is the function's environment, to which the runtime's own variables are added.
 */
export function startLambda(
  label: string,
  dir: string,
  spec: string,
  env: Record<string, string>,
): LambdaInstance {
  const child = startChild(
    label,
    dir,
    ['--input-type=module', '-e', INVOKER, spec],
    { LAMBDA_TASK_ROOT: dir, ...env },
    { stdin: 'pipe' },
  );
  // Writing to an instance that has died must not crash the test process; `exited` reports the death.
  child.process.stdin?.on('error', () => {});
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let buffer = '';
  child.process.stdout?.on('data', (d: string) => {
    buffer += d;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith(INVOKED)) continue;
      const answer = JSON.parse(line.slice(INVOKED.length)) as {
        id: number;
        result?: unknown;
        error?: string;
      };
      const w = waiting.get(answer.id);
      waiting.delete(answer.id);
      if (answer.error !== undefined)
        w?.reject(new Error(`the handler threw: ${answer.error}\n${child.describe()}`));
      else w?.resolve(answer.result);
    }
  });
  void child.exited.then((code) => {
    for (const w of waiting.values())
      w.reject(new Error(`${label} exited (${code}) mid-invocation\n${child.describe()}`));
    waiting.clear();
  });
  let next = 0;
  return {
    ...child,
    invoke: (event, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(
            new Error(`${label}: no answer to invocation ${id} in ${timeoutMs} ms\n${child.describe()}`),
          );
        }, timeoutMs);
        waiting.set(id, {
          resolve: (v) => (clearTimeout(timer), resolve(v)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        if (child.process.exitCode !== null || child.process.signalCode !== null) {
          waiting.get(id)?.reject(new Error(`${label} is not running\n${child.describe()}`));
          waiting.delete(id);
          return;
        }
        child.process.stdin?.write(`${JSON.stringify({ id, event })}\n`);
      }),
  };
}
