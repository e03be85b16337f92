// The Cloud Functions source folder as infra/gcp/deploy.sh uploads it (infra/gcp/package-source.sh), with
// the dependencies Cloud Build installs from its package.json, served by that folder's own
// functions-framework: in an empty folder with no node_modules above it, config from loopback stores.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startStores, type TestStores } from './config-servers.ts';
import { ensureBuilt, ROOT } from './deploy/build.ts';
import {
  artifactEnv,
  assertNoNodeModulesAbove,
  isolatedDir,
  removeDir,
  runToEnd,
  startHttpArtifact,
  toolEnv,
} from './deploy/isolated.ts';
import {
  httpInjector,
  STORE_NAMES,
  type StoreCase,
  storeCases,
  storeEnv,
  storeScenario,
  summary,
} from './deploy/store-scenario.ts';

const FRAMEWORK = 'node_modules/@google-cloud/functions-framework/build/src/main.js';
let stores: TestStores;
let cases: Record<StoreCase['name'], StoreCase>;
let source: string;
let uploaded: string[];

before(async () => {
  await ensureBuilt();
  stores = await startStores();
  cases = storeCases(stores, 'gcf');
  source = isolatedDir('gcf');
  await runToEnd('package-source.sh', ROOT, ['infra/gcp/package-source.sh', source], toolEnv(), {
    command: 'bash',
  });
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
});

describe('Cloud Functions folder (package-source.sh + npm install), its own functions-framework', () => {
  it('uploads gcp.js, its chunks and a package.json naming only the framework, main gcp.js', () => {
    assert.deepEqual(uploaded, ['chunks', 'gcp.js', 'package.json']);
    const pkg = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
    assert.equal(pkg.main, 'gcp.js');
    assert.deepEqual(Object.keys(pkg.dependencies), ['@google-cloud/functions-framework']);
    assert.ok(readdirSync(join(source, 'node_modules', '@google-cloud')).includes('functions-framework'));
  });

  for (const name of STORE_NAMES) {
    it(`${name}: the store's image, a new bundle within a few TTLs, the last good one while the store fails`, async (t) => {
      const store = cases[name];
      const images: [string, string] = [`example.com/proxy:gcf-${name}-1`, `example.com/proxy:gcf-${name}-2`];
      await store.publish(images[0]);
      const server = await startHttpArtifact(
        `functions-framework (${name})`,
        source,
        [FRAMEWORK, '--target=inject', '--port={port}'],
        artifactEnv({
          ...storeEnv(stores),
          OUTRIGGER_CONFIG: store.uri,
          NODE_ENV: 'production',
          K_SERVICE: 'outrigger',
          K_REVISION: 'outrigger-00001-abc',
        }),
      );
      try {
        t.diagnostic(
          summary(
            'Cloud Functions',
            await storeScenario(httpInjector('functions-framework', server), store, images),
          ),
        );
      } finally {
        await server.stop();
      }
    });
  }
});
