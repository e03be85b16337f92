// The Lambda function as it is deployed, without the cloud: the zip's content as serverless.yml packages
// it (dist/aws.js, dist/chunks/**, dist/package.json), copied alone into an empty folder with no
// node_modules above it, loaded and invoked by harness/deploy/lambda-invoker.ts as the Node.js runtime
// does (LAMBDA_TASK_ROOT, handler `dist/aws.handler`). Its floor is bench/noop-handler.js packaged the
// same way.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { functionUrlEvent } from '../../harness/deploy/aws-events.ts';
import { artifactEnv, isolatedDir, removeDir } from '../../harness/deploy/isolated.ts';
import { startLambda } from '../../harness/deploy/lambda-invoker.ts';
import { DEPLOYED_RUNTIME_ENV } from '../../harness/support/deployed-env.ts';
import { ROOT } from '../../harness/support/spawn-server.ts';

/** serverless.yml's `functions.inject.handler`. */
export const HANDLER = 'dist/aws.handler';

export interface LambdaPackage {
  dir: string;
  /** Whether its answers carry a patch (the function) or not (the floor). */
  injects: boolean;
  remove(): void;
}

/** The function's package, from a copy of dist/ (`dist`). */
export function functionPackage(dist: string): LambdaPackage {
  const dir = isolatedDir('bench-lambda');
  mkdirSync(join(dir, 'dist'));
  for (const f of ['aws.js', 'package.json']) cpSync(join(dist, f), join(dir, 'dist', f));
  cpSync(join(dist, 'chunks'), join(dir, 'dist', 'chunks'), { recursive: true });
  return { dir, injects: true, remove: () => removeDir(dir) };
}

/** The no-op handler, packaged the same way. */
export function noopPackage(): LambdaPackage {
  const dir = isolatedDir('bench-lambda-noop');
  mkdirSync(join(dir, 'dist'));
  cpSync(join(ROOT, 'bench/noop-handler.js'), join(dir, 'dist/aws.js'));
  writeFileSync(join(dir, 'dist/package.json'), `${JSON.stringify({ type: 'module' })}\n`);
  return { dir, injects: false, remove: () => removeDir(dir) };
}

/**
 * The environment of a deployed function (auth off, the embedded default config, what serverless.yml
 * sets for the runtime) and of the runtime, for the function and its floor alike.
 */
const ENV = artifactEnv({
  ...DEPLOYED_RUNTIME_ENV,
  OUTRIGGER_AUTH: 'off',
  AWS_LAMBDA_FUNCTION_NAME: 'outrigger-bench-inject',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_DEFAULT_REGION: 'us-east-1',
  LANG: 'en_US.UTF-8',
  TZ: ':UTC',
});

/**
 * One cold start: spawn the runtime in the package folder, import the handler, invoke it once with a
 * Function URL event posting `body` → its answer, in milliseconds. Throws unless the answer is a 200
 * (with a patch, for the function).
 */
export async function lambdaColdStart(pkg: LambdaPackage, body: string): Promise<number> {
  const event = functionUrlEvent({ path: '/inject', body });
  const start = performance.now();
  const instance = startLambda(`Lambda (${pkg.dir})`, pkg.dir, HANDLER, ENV);
  try {
    const out = (await instance.invoke(event, 15_000)) as { statusCode?: number; body?: string };
    const ms = performance.now() - start;
    if (out.statusCode !== 200 || (pkg.injects && !out.body?.includes('"patch"')))
      throw new Error(`${pkg.dir} answered ${JSON.stringify(out).slice(0, 300)}\n${instance.describe()}`);
    return ms;
  } finally {
    await instance.stop();
  }
}
