// dist/ as shipped for Cloud Run and as the `outrigger` command: copied alone into an empty folder with
// no node_modules anywhere above it, run there with this Node, its config read from loopback stores that
// speak the real protocols (s3rver, and the fake Secrets Manager and GCS endpoints).
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { loadLocalConfig } from '../../lib/config/static-config.ts';
import { createHandler } from '../../lib/http/handle.ts';
import { startInstanceMetadata, startStores, type TestStores } from '../../harness/stores.ts';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { itAuthenticatesFromStore, keysStores } from '../../harness/deploy/keys-scenario.ts';
import {
  artifactEnv,
  assertNoNodeModulesAbove,
  isolatedDir,
  removeDir,
  runToEnd,
  startHttpArtifact,
} from '../../harness/deploy/isolated.ts';
import {
  imageBundle,
  itServesEveryStore,
  proxyImageIn,
  STORE_NAMES,
  type StoreCase,
  storeCases,
  storeEnv,
} from '../../harness/deploy/store-scenario.ts';
import { httpRequest } from '../../harness/support/http-request.ts';
import { helloReview } from '../../harness/support/pod-variants.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

let stores: TestStores;
let cases: Record<StoreCase['name'], StoreCase>;
/** The copy of dist/, and a folder beside it for the manifests and bundle files the CLI reads. */
let app: string;
let work: string;

before(async () => {
  await ensureBuilt();
  stores = await startStores();
  cases = storeCases(stores, 'dist');
  app = isolatedDir('dist');
  cpSync(join(ROOT, 'dist'), app, { recursive: true });
  assertNoNodeModulesAbove(app);
  work = isolatedDir('dist-input');
  cpSync(join(ROOT, 'examples', 'deployment.yaml'), join(work, 'deployment.yaml'));
});
after(async () => {
  await stores?.close();
  removeDir(app);
  removeDir(work);
});

describe('dist/ alone: node server.js (Cloud Run)', () => {
  it('the folder is dist/ as built, with its own package.json (ESM) and nothing else', () => {
    assert.deepEqual(readdirSync(app).sort(), readdirSync(join(ROOT, 'dist')).sort());
    assert.equal(JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).type, 'module');
  });

  it('node:http is required, not statically imported (on Node 24 that costs every start 30-40 ms)', () => {
    const files = readdirSync(app, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    const code = files.map((f) => [f, readFileSync(join(app, f), 'utf8')] as const);
    assert.ok(
      code.some(([, c]) => /\w\("node:http"\)/.test(c)),
      'required',
    );
    for (const [f, c] of code) assert.doesNotMatch(c, /\b(from|import)\s*["'](node:)?http["']/, f);
    // A dynamic import stays one, so it gets the module's named exports (the AWS SDK's region lookup).
    assert.ok(
      code.some(([, c]) => /\bimport\(\s*["']node:http["']\s*\)/.test(c)),
      'dynamic import kept',
    );
  });

  itServesEveryStore(
    'Cloud Run server.js',
    'run',
    () => cases,
    (store) =>
      startHttpArtifact(
        `server.js (${store.name})`,
        app,
        ['server.js'],
        artifactEnv({ ...storeEnv(stores), OUTRIGGER_CONFIG: store.uri }),
      ),
  );

  itAuthenticatesFromStore(
    'server.js',
    () => keysStores(stores, 'dist', work).s3,
    (env) =>
      startHttpArtifact(
        'server.js (keys in S3)',
        app,
        ['server.js'],
        artifactEnv({ ...storeEnv(stores), ...env }),
      ),
  );
});

describe('dist/ alone: node server.js answers as the sources do', () => {
  // What the bundle changes on the way: the default profile's templates as code generated when it was
  // embedded (the sources run the same code), shapes and answers cached from the first answer on,
  // base64 by btoa for an ASCII patch and by a Buffer for another, Prometheus annotations in their
  // other spellings, and a pod's own __proto__ keys.
  // Each with what its decoded patch must hold, where the case is about the patch's text.
  const reviews: [string, string, RegExp?][] = [
    ['a distinct workload', JSON.stringify(helloReview(41))],
    [
      'a non-ASCII annotation and Prometheus spellings',
      JSON.stringify(
        review(
          deploymentPod('spelled', {
            // The path reaches the patch, in the proxy's ISTIO_PROMETHEUS_ANNOTATIONS.
            annotations: { 'prometheus-io/port': '9091', 'prometheus.io.path': '/métriques ✓ 😀' },
          }),
        ),
      ),
      /"path\\":\\"\/métriques ✓ 😀\\"/,
    ],
    [
      'own __proto__ keys in labels and annotations',
      JSON.stringify(review(deploymentPod('proto'))).replace(
        '"labels":{',
        '"annotations":{"__proto__":"x"},"labels":{"__proto__":"b",',
      ),
    ],
  ];

  it('byte for byte, for the first review of its shape and for the ones after', async () => {
    const config = loadLocalConfig([]);
    const sources = createHandler({ revision: '', config: async () => config });
    const server = await startHttpArtifact(
      'server.js (embedded default)',
      app,
      ['server.js'],
      artifactEnv({ OUTRIGGER_AUTH: 'off' }),
    );
    try {
      for (const [what, body, inPatch] of reviews) {
        const want = await sources({
          method: 'POST',
          path: '/inject',
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(body),
        });
        assert.equal(want.status, 200, what);
        const patch = JSON.parse(want.body).response.patch as string;
        assert.ok(patch, what);
        if (inPatch) assert.match(Buffer.from(patch, 'base64').toString('utf8'), inPatch, what);
        for (let i = 0; i < 3; i++) {
          const got = await httpRequest(`${server.url}/inject`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          assert.equal(got.status, 200, `${what}: ${got.text.slice(0, 300)}`);
          assert.equal(got.text, want.body, `${what}, answer ${i + 1}`);
        }
      }
    } finally {
      await server.stop();
    }
  });
});

describe('dist/ alone: node cli.js kube-inject (the outrigger command)', () => {
  const kubeInject = async (label: string, config: string) => {
    const { stdout } = await runToEnd(
      label,
      app,
      ['cli.js', 'kube-inject', '-f', join(work, 'deployment.yaml'), '--config', config],
      artifactEnv(storeEnv(stores)),
    );
    const [deployment] = yaml.loadAll(stdout) as { kind: string; spec: { template: { spec: object } } }[];
    assert.equal(deployment?.kind, 'Deployment', stdout);
    return proxyImageIn(deployment.spec.template.spec);
  };

  for (const name of STORE_NAMES) {
    it(`--config ${name} URI: the printed manifests carry the store's image`, async () => {
      const store = storeCases(stores, 'cli')[name];
      await store.publish(`example.com/proxy:cli-${name}`);
      assert.equal(await kubeInject(`cli.js (${name})`, store.uri), `example.com/proxy:cli-${name}`);
    });
  }

  // On EC2 without AWS_REGION the SDK asks the instance metadata service, through a dynamic import of
  // node:http: the bundle must keep that import's named exports (scripts/build.ts).
  it('--config s3 URI with no AWS_REGION: the region comes from the instance metadata service', async () => {
    const imds = await startInstanceMetadata('us-east-1');
    try {
      const store = storeCases(stores, 'cli-imds').s3;
      await store.publish('example.com/proxy:cli-imds');
      const { AWS_REGION: _region, AWS_EC2_METADATA_DISABLED: _disabled, ...env } = storeEnv(stores);
      const { stdout } = await runToEnd(
        'cli.js (s3, region from IMDS)',
        app,
        ['cli.js', 'kube-inject', '-f', join(work, 'deployment.yaml'), '--config', store.uri],
        artifactEnv({ ...env, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url }),
      );
      const [deployment] = yaml.loadAll(stdout) as { spec: { template: { spec: object } } }[];
      assert.equal(deployment && proxyImageIn(deployment.spec.template.spec), 'example.com/proxy:cli-imds');
      assert.ok((imds.calls.region ?? 0) > 0, JSON.stringify(imds.calls));
    } finally {
      await imds.close();
    }
  });

  it('--config with a file', async () => {
    const file = join(work, 'bundle.yaml');
    writeFileSync(file, imageBundle('example.com/proxy:cli-file'));
    assert.equal(await kubeInject('cli.js (file)', file), 'example.com/proxy:cli-file');
  });

  // Node keeps V8's code between runs of the command from 22.8 on (module.enableCompileCache).
  const compileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
  const skip = !compileCache && `Node ${process.versions.node} has no module.enableCompileCache`;
  const runIn = (label: string, env: Record<string, string>) => {
    // artifactEnv turns the cache off for every other run of the command; these take that out.
    const { NODE_DISABLE_COMPILE_CACHE: _off, ...withCache } = artifactEnv(env);
    return runToEnd(label, app, ['cli.js', 'kube-inject', '-f', join(work, 'deployment.yaml')], withCache);
  };

  it(
    "a second run takes the command's code from the compile cache in the user's cache folder",
    { skip },
    async () => {
      const home = isolatedDir('cli-home');
      try {
        // Node says, with this switch on, which module's cached code it accepted.
        const env = { HOME: home, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
        const first = await runIn('cli.js (first run)', env);
        const cache = join(home, '.cache', 'outrigger', 'compile-cache');
        assert.ok(
          existsSync(cache) && readdirSync(cache).length > 0,
          `no cache in ${cache}\n${first.stderr.slice(0, 2000)}`,
        );
        const second = await runIn('cli.js (second run)', env);
        assert.equal(second.stdout, first.stdout);
        const accepted = second.stderr.split('\n').filter((l) => /chunks\/main-\w+\.js was accepted/.test(l));
        assert.equal(accepted.length, 1, second.stderr.slice(0, 3000));
      } finally {
        removeDir(home);
      }
    },
  );

  it(
    'the cache goes to XDG_CACHE_HOME when set; a home that does not exist is not made',
    { skip },
    async () => {
      const root = isolatedDir('cli-cache-home');
      try {
        const xdg = join(root, 'xdg');
        const a = await runIn('cli.js (XDG_CACHE_HOME)', { HOME: join(root, 'home'), XDG_CACHE_HOME: xdg });
        assert.ok(readdirSync(join(xdg, 'outrigger', 'compile-cache')).length > 0);
        const b = await runIn('cli.js (no home)', { HOME: join(root, 'missing') });
        assert.equal(b.stdout, a.stdout);
        assert.deepEqual(readdirSync(root), ['xdg']);
      } finally {
        removeDir(root);
      }
    },
  );
});
