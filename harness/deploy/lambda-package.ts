// The Lambda zip as `serverless package` makes it, unpacked alone into an empty folder with no
// node_modules above it, and the function's environment as its CloudFormation template gives it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from './build.ts';
import { artifactEnv, assertNoNodeModulesAbove, isolatedDir, removeDir, runToEnd } from './isolated.ts';
import { extractZip } from './zip-entries.ts';

export interface LambdaFunction {
  FunctionName: string;
  Handler: string;
  Runtime: string;
  MemorySize: number;
  Environment: { Variables: Record<string, unknown> };
}

export interface LambdaPackage {
  /** The unpacked zip. */
  app: string;
  /** Its files, as the zip lists them. */
  files: string[];
  fn: LambdaFunction;
  /** The packaged environment, with what the Lambda runtime adds, laid under `env`. */
  functionEnv(env: Record<string, string>): Record<string, string>;
  remove(): void;
}

/** Runs `serverless package` offline with `params` (`--param=k=v`), then unpacks the zip. */
export async function packageLambda(params: Record<string, string>): Promise<LambdaPackage> {
  await ensureBuilt();
  const out = isolatedDir('sls-package');
  try {
    await runToEnd(
      'serverless package',
      ROOT,
      [
        'serverless',
        'package',
        '--package',
        out,
        '--stage',
        'ci',
        '--region',
        'us-east-1',
        ...Object.entries(params).map(([k, v]) => `--param=${k}=${v}`),
      ],
      // As test/artifacts/serverless-package.test.ts: offline, no credentials, no telemetry or update checks.
      {
        ...process.env,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      } as Record<string, string>,
      { command: 'npx', timeoutMs: 120_000 },
    );
    const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
    const functions = Object.values(
      template.Resources as Record<string, { Type: string; Properties: unknown }>,
    )
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties as LambdaFunction);
    assert.equal(functions.length, 1);
    const fn = functions[0] as LambdaFunction;
    const app = isolatedDir('lambda');
    const files = extractZip(join(out, 'outrigger.zip'), app);
    assertNoNodeModulesAbove(app);
    return {
      app,
      files,
      fn,
      functionEnv: (env) => {
        const vars: Record<string, string> = {};
        for (const [k, v] of Object.entries(fn.Environment.Variables)) {
          assert.equal(
            typeof v,
            'string',
            `${k} is not a plain string in the template: ${JSON.stringify(v)}`,
          );
          vars[k] = v as string;
        }
        return artifactEnv({
          ...vars,
          ...env,
          AWS_LAMBDA_FUNCTION_NAME: fn.FunctionName,
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.MemorySize),
          AWS_EXECUTION_ENV: `AWS_Lambda_${fn.Runtime}`,
          AWS_DEFAULT_REGION: 'us-east-1',
          LANG: 'en_US.UTF-8',
          TZ: ':UTC',
        });
      },
      remove: () => removeDir(app),
    };
  } finally {
    removeDir(out);
  }
}
