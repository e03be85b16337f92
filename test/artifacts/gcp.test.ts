// The source folders infra/gcp/deploy.sh uploads (infra/gcp/package-source.sh), each with what Cloud
// Build installs from its package.json and started as the buildpack starts it, in an empty folder with
// no node_modules above it, config from loopback stores: Cloud Run's server.js (the default target) and
// the Cloud Function's gcp.js on that folder's own functions-framework.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startStores, type TestStores } from '../../harness/stores.ts';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { itAuthenticatesFromStore, keysStores } from '../../harness/deploy/keys-scenario.ts';
import {
  artifactEnv,
  assertNoNodeModulesAbove,
  isolatedDir,
  removeDir,
  runToEnd,
  startHttpArtifact,
  toolEnv,
} from '../../harness/deploy/isolated.ts';
import {
  itServesEveryStore,
  type StoreCase,
  storeCases,
  storeEnv,
} from '../../harness/deploy/store-scenario.ts';

const FRAMEWORK = 'node_modules/@google-cloud/functions-framework/build/src/main.js';
let stores: TestStores;
let cases: Record<StoreCase['name'], StoreCase>;
let source: string;
let uploaded: string[];
let runSource: string;
let runUploaded: string[];
/** Where the Cloud Function's keys file is mounted. */
let keysDir: string;

before(async () => {
  await ensureBuilt();
  stores = await startStores();
  cases = storeCases(stores, 'gcf');
  source = isolatedDir('gcf');
  await runToEnd('package-source.sh', ROOT, ['infra/gcp/package-source.sh', source, 'function'], toolEnv(), {
    command: 'bash',
  });
  keysDir = isolatedDir('gcf-keys');
  runSource = isolatedDir('cloud-run');
  await runToEnd('package-source.sh', ROOT, ['infra/gcp/package-source.sh', runSource], toolEnv(), {
    command: 'bash',
  });
  runUploaded = readdirSync(runSource).sort();
  await runToEnd('npm install', runSource, ['install', '--no-audit', '--no-fund'], toolEnv(), {
    command: 'npm',
    timeoutMs: 90_000,
  });
  assertNoNodeModulesAbove(runSource);
  uploaded = readdirSync(source).sort();
  // Cloud Build: `npm install` from the uploaded package.json (there is no lockfile to `npm ci` from).
  await runToEnd('npm install', source, ['install', '--no-audit', '--no-fund'], toolEnv(), {
    command: 'npm',
    timeoutMs: 90_000,
  });
  assertNoNodeModulesAbove(source, { self: false });
});
after(async () => {
  await stores?.close();
  removeDir(source);
  removeDir(runSource);
  removeDir(keysDir);
});

describe('Cloud Run folder (package-source.sh, the default target): server.js with no dependencies', () => {
  it('uploads server.js, its chunks and a package.json whose start script runs it, with nothing to install', () => {
    assert.deepEqual(runUploaded, ['chunks', 'package.json', 'server.js']);
    const pkg = JSON.parse(readFileSync(join(runSource, 'package.json'), 'utf8'));
    assert.equal(pkg.scripts.start, 'node server.js');
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.dependencies, undefined);
    assert.ok(!readdirSync(runSource).includes('node_modules'), 'npm install added no package');
  });

  // What the start script runs, as Cloud Run's buildpack starts it (PORT set by the platform).
  itServesEveryStore(
    'Cloud Run',
    'cloud-run',
    () => cases,
    (store) =>
      startHttpArtifact(
        `Cloud Run server.js (${store.name})`,
        runSource,
        ['server.js'],
        artifactEnv({ ...storeEnv(stores), OUTRIGGER_CONFIG: store.uri, K_SERVICE: 'outrigger' }),
      ),
  );

  itAuthenticatesFromStore(
    'Cloud Run',
    () => keysStores(stores, 'cloud-run', runSource).gcs,
    (env) =>
      startHttpArtifact(
        'Cloud Run server.js (keys in Cloud Storage)',
        runSource,
        ['server.js'],
        artifactEnv({ ...storeEnv(stores), ...env, K_SERVICE: 'outrigger' }),
      ),
  );
});

describe('Cloud Functions folder (package-source.sh + npm install), its own functions-framework', () => {
  it('uploads gcp.js, its chunks and a package.json naming only the framework, main gcp.js', () => {
    assert.deepEqual(uploaded, ['chunks', 'gcp.js', 'package.json']);
    const pkg = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
    assert.equal(pkg.main, 'gcp.js');
    assert.deepEqual(Object.keys(pkg.dependencies), ['@google-cloud/functions-framework']);
    assert.ok(readdirSync(join(source, 'node_modules', '@google-cloud')).includes('functions-framework'));
  });

  itServesEveryStore(
    'Cloud Functions',
    'gcf',
    () => cases,
    (store) =>
      startHttpArtifact(
        `functions-framework (${store.name})`,
        source,
        [FRAMEWORK, '--target=inject', '--port={port}'],
        artifactEnv({
          ...storeEnv(stores),
          OUTRIGGER_CONFIG: store.uri,
          NODE_ENV: 'production',
          K_SERVICE: 'outrigger',
          K_REVISION: 'outrigger-00001-abc',
        }),
      ),
  );

  // As deploy.sh mounts the Secret Manager secret: a file whose content changes under the instance.
  itAuthenticatesFromStore(
    'Cloud Functions',
    () => keysStores(stores, 'gcf', keysDir).file,
    (env) =>
      startHttpArtifact(
        'functions-framework (keys in a mounted file)',
        source,
        [FRAMEWORK, '--target=inject', '--port={port}'],
        artifactEnv({ ...storeEnv(stores), ...env, NODE_ENV: 'production', K_SERVICE: 'outrigger' }),
      ),
  );
});
