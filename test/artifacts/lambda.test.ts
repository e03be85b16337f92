// The Lambda zip from `npx serverless package`, unpacked alone into an empty folder with no node_modules
// above it, its handler loaded as the Node.js runtime loads it and invoked with the events API Gateway and
// Function URLs deliver; the environment is the packaged function's, its config from loopback stores.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStores, type TestStores } from '../../harness/stores.ts';
import { EVENT_SHAPES } from '../../harness/deploy/aws-events.ts';
import {
  FLEET,
  fleetKeys,
  keysScenario,
  keysStores,
  keysSummary,
} from '../../harness/deploy/keys-scenario.ts';
import { type LambdaPackage, packageLambda } from '../../harness/deploy/lambda-package.ts';
import { type LambdaInstance, startLambda } from '../../harness/deploy/lambda-invoker.ts';
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
} from '../../harness/deploy/store-scenario.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

type Shape = keyof typeof EVENT_SHAPES;
const SHAPES = Object.keys(EVENT_SHAPES) as Shape[];

let stores: TestStores;
let cases: Record<StoreCase['name'], StoreCase>;
let pkg: LambdaPackage;

before(async () => {
  stores = await startStores();
  cases = storeCases(stores, 'lambda');
  const env = storeEnv(stores);
  pkg = await packageLambda({
    authKeys: env.OUTRIGGER_AUTH_KEYS as string,
    config: cases.s3.uri,
    configTtl: env.OUTRIGGER_CONFIG_TTL as string,
  });
});
after(async () => {
  await stores?.close();
  pkg?.remove();
});

/** The function's environment as packaged, its config from `config` (the template holds the S3 one). */
function functionEnv(config: string): Record<string, string> {
  return pkg.functionEnv({ ...storeEnv(stores), OUTRIGGER_CONFIG: config });
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
    assert.ok(pkg.files.includes('dist/aws.js'), pkg.files.join(', '));
    assert.ok(pkg.files.includes('dist/package.json'), pkg.files.join(', '));
    assert.ok(
      pkg.files.every(
        (f) => f === 'dist/aws.js' || f === 'dist/package.json' || f.startsWith('dist/chunks/'),
      ),
    );
    assert.equal(pkg.fn.Handler, 'dist/aws.handler');
    const env = storeEnv(stores);
    assert.equal(pkg.fn.Environment.Variables.OUTRIGGER_AUTH_KEYS, env.OUTRIGGER_AUTH_KEYS);
    assert.equal(pkg.fn.Environment.Variables.OUTRIGGER_CONFIG_TTL, env.OUTRIGGER_CONFIG_TTL);
    assert.equal(pkg.fn.Environment.Variables.OUTRIGGER_AUTH, 'on');
  });

  // The zip carries the AWS stores' clients only (serverless.yml leaves Cloud Storage's out).
  for (const name of STORE_NAMES.filter((n) => n !== 'gcs')) {
    it(`${name}: the store's image, a new bundle within a few TTLs, the last good one while the store fails (every event shape)`, async (t) => {
      const store = cases[name];
      const images: [string, string] = [
        `example.com/proxy:lambda-${name}-1`,
        `example.com/proxy:lambda-${name}-2`,
      ];
      await store.publish(images[0]);
      const instance = startLambda(`Lambda (${name})`, pkg.app, pkg.fn.Handler, functionEnv(store.uri));
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

describe('Lambda zip, caller keys in Secrets Manager', () => {
  it(`${FLEET} clusters' keys: a rotation and a new cluster without a redeploy, the last good keys while the store fails (every event shape)`, async (t) => {
    const keys = keysStores(stores, 'lambda', pkg.app).secretsmanager;
    await keys.put(fleetKeys());
    const env = pkg.functionEnv({ ...storeEnv(stores), OUTRIGGER_CONFIG: '', OUTRIGGER_AUTH_KEYS: keys.uri });
    const instance = startLambda('Lambda (keys in Secrets Manager)', pkg.app, pkg.fn.Handler, env);
    try {
      const injector = lambdaInjector(instance, SHAPES);
      t.diagnostic(keysSummary('Lambda', await keysScenario(injector, keys)));
      assert.deepEqual([...injector.shapesUsed].sort(), [...SHAPES].sort());
    } finally {
      await instance.stop();
    }
  });
});

describe('Lambda zip without the Cloud Storage client', () => {
  it('a gs:// config is refused with the reason, not "Cannot find module"', async () => {
    assert.ok(!pkg.files.some((f) => /^dist\/chunks\/gcs-/.test(f)), pkg.files.join(', '));
    const store = cases.gcs;
    await store.publish('example.com/proxy:lambda-gcs');
    const instance = startLambda('Lambda (gcs)', pkg.app, pkg.fn.Handler, functionEnv(store.uri));
    try {
      const answer = await lambdaInjector(instance, ['Function URL']).post(
        `/inject/cluster/${CLUSTER}/key/${SECRET}`,
        JSON.stringify(review(deploymentPod())),
      );
      assert.equal(answer.status, 200, answer.body);
      assert.match(
        JSON.parse(answer.body).response.status.message,
        /gs:\/\/ sources are not in this package \(the Lambda zip carries the AWS stores only\)/,
      );
    } finally {
      await instance.stop();
    }
  });
});

describe('Lambda zip: each event shape on its own (secretsmanager)', () => {
  let instance: LambdaInstance;
  const image = 'example.com/proxy:lambda-shapes';
  before(async () => {
    const store = storeCases(stores, 'lambda-shapes').secretsmanager;
    await store.publish(image);
    instance = startLambda('Lambda (shapes)', pkg.app, pkg.fn.Handler, functionEnv(store.uri));
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
