// The Lambda zip from `npx serverless package`, unpacked alone into an empty folder with no node_modules
// above it, its handler loaded as the Node.js runtime loads it and invoked with the events API Gateway and
// Function URLs deliver; the environment is the packaged function's, its config from loopback stores.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startStores, type TestStores } from './config-servers.ts';
import { EVENT_SHAPES } from './deploy/aws-events.ts';
import { ensureBuilt, ROOT } from './deploy/build.ts';
import {
  assertNoNodeModulesAbove,
  artifactEnv,
  isolatedDir,
  removeDir,
  runToEnd,
} from './deploy/isolated.ts';
import { type LambdaInstance, startLambda } from './deploy/lambda-invoker.ts';
import {
  CLUSTER,
  type Injector,
  injectedImage,
  SECRET,
  STORE_NAMES,
  type StoreCase,
  storeCases,
  storeEnv,
  storeScenario,
  summary,
  withOutput,
} from './deploy/store-scenario.ts';
import { extractZip } from './deploy/zip-entries.ts';
import { deploymentPod, review } from './support/reviews.ts';

type Shape = keyof typeof EVENT_SHAPES;
const SHAPES = Object.keys(EVENT_SHAPES) as Shape[];

interface LambdaFunction {
  FunctionName: string;
  Handler: string;
  Runtime: string;
  MemorySize: number;
  Environment: { Variables: Record<string, unknown> };
}

let stores: TestStores;
let cases: Record<StoreCase['name'], StoreCase>;
let out: string;
let app: string;
let fn: LambdaFunction;
let files: string[];

before(async () => {
  await ensureBuilt();
  stores = await startStores();
  cases = storeCases(stores, 'lambda');
  const env = storeEnv(stores);
  out = isolatedDir('sls-package');
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
      `--param=authKeys=${env.OUTRIGGER_AUTH_KEYS}`,
      `--param=config=${cases.s3.uri}`,
      `--param=configTtl=${env.OUTRIGGER_CONFIG_TTL}`,
    ],
    // As test/serverless-package.test.ts: offline, no credentials, no telemetry or update checks.
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
  const functions = Object.values(template.Resources as Record<string, { Type: string; Properties: unknown }>)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => r.Properties as LambdaFunction);
  assert.equal(functions.length, 1);
  fn = functions[0] as LambdaFunction;
  app = isolatedDir('lambda');
  files = extractZip(join(out, 'outrigger.zip'), app);
  assertNoNodeModulesAbove(app);
});
after(async () => {
  await stores?.close();
  removeDir(out);
  removeDir(app);
});

/** The function's environment as packaged, with the variables the Lambda runtime adds. */
function functionEnv(config: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(fn.Environment.Variables)) {
    assert.equal(typeof v, 'string', `${k} is not a plain string in the template: ${JSON.stringify(v)}`);
    vars[k] = v as string;
  }
  return artifactEnv({
    ...storeEnv(stores),
    ...vars,
    // The one setting that differs per store; the template holds the S3 one.
    OUTRIGGER_CONFIG: config,
    AWS_LAMBDA_FUNCTION_NAME: fn.FunctionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.MemorySize),
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.Runtime}`,
    AWS_DEFAULT_REGION: 'us-east-1',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
  });
}

/** An Injector over Lambda invocations, each request in the next event shape of `shapes`. */
function lambdaInjector(instance: LambdaInstance, shapes: Shape[]): Injector & { shapesUsed: Set<Shape> } {
  let n = 0;
  const shapesUsed = new Set<Shape>();
  return {
    label: 'Lambda',
    shapesUsed,
    post: async (path, body, headers = {}) => {
      const shape = shapes[n++ % shapes.length] as Shape;
      shapesUsed.add(shape);
      const result = (await instance.invoke(EVENT_SHAPES[shape]({ path, body, headers }))) as {
        statusCode: number;
        body: string;
        isBase64Encoded: boolean;
      };
      assert.equal(result.isBase64Encoded, false, `${shape}: ${JSON.stringify(result)}`);
      return { status: result.statusCode, body: `${result.body}` };
    },
    stderr: () => instance.stderr(),
    describe: () => instance.describe(),
  };
}

describe('Lambda zip (serverless package), unpacked alone, one warm instance per store', () => {
  it('the zip is dist/aws.js, its chunks and dist/package.json; the handler and env are the template’s', () => {
    assert.ok(files.includes('dist/aws.js'), files.join(', '));
    assert.ok(files.includes('dist/package.json'), files.join(', '));
    assert.ok(
      files.every((f) => f === 'dist/aws.js' || f === 'dist/package.json' || f.startsWith('dist/chunks/')),
    );
    assert.equal(fn.Handler, 'dist/aws.handler');
    const env = storeEnv(stores);
    assert.equal(fn.Environment.Variables.OUTRIGGER_AUTH_KEYS, env.OUTRIGGER_AUTH_KEYS);
    assert.equal(fn.Environment.Variables.OUTRIGGER_CONFIG_TTL, env.OUTRIGGER_CONFIG_TTL);
    assert.equal(fn.Environment.Variables.OUTRIGGER_AUTH, 'on');
  });

  for (const name of STORE_NAMES) {
    it(`${name}: the store's image, a new bundle within a few TTLs, the last good one while the store fails (every event shape)`, async (t) => {
      const store = cases[name];
      const images: [string, string] = [
        `example.com/proxy:lambda-${name}-1`,
        `example.com/proxy:lambda-${name}-2`,
      ];
      await store.publish(images[0]);
      const instance = startLambda(`Lambda (${name})`, app, fn.Handler, functionEnv(store.uri));
      try {
        const injector = lambdaInjector(instance, SHAPES);
        t.diagnostic(summary('Lambda', await storeScenario(injector, store, images)));
        assert.deepEqual([...injector.shapesUsed].sort(), [...SHAPES].sort());
      } finally {
        await instance.stop();
      }
    });
  }
});

describe('Lambda zip: each event shape on its own (secretsmanager)', () => {
  let instance: LambdaInstance;
  const image = 'example.com/proxy:lambda-shapes';
  before(async () => {
    const store = storeCases(stores, 'lambda-shapes').secretsmanager;
    await store.publish(image);
    instance = startLambda('Lambda (shapes)', app, fn.Handler, functionEnv(store.uri));
  });
  after(() => instance?.stop());

  for (const shape of SHAPES) {
    it(`${shape}: 401 without a credential; the store's image with the path secret and with a bearer token; /healthz`, async () => {
      const injector = lambdaInjector(instance, [shape]);
      try {
        const denied = await injector.post(
          `/inject/cluster/${CLUSTER}`,
          JSON.stringify(review(deploymentPod())),
        );
        assert.equal(denied.status, 401, denied.body);
        assert.equal(await injectedImage(injector, 'path'), image);
        assert.equal(await injectedImage(injector, 'bearer'), image);
        const health = (await instance.invoke(EVENT_SHAPES[shape]({ method: 'GET', path: '/healthz' }))) as {
          statusCode: number;
        };
        assert.equal(health.statusCode, 200, JSON.stringify(health));
        // The secret never comes back in an answer or the function's log.
        assert.ok(!instance.stdout().includes(SECRET), 'the secret is in the log');
      } catch (err) {
        throw withOutput(err, instance.describe());
      }
    });
  }
});
