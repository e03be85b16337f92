import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { handlerFromEnv } from '../../lib/http/from-env.ts';
import { ROOT } from '../../harness/deploy/build.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

function cli(args: string[], input: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'functions/cli.ts', ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
  });
}

describe('outrigger auth-hash', () => {
  it('prints the hash line that OUTRIGGER_AUTH_KEYS takes, and the handler accepts the secret', async () => {
    const secret = 'b1946ac92492d2347c6235b4d2611184';
    const r = cli(['auth-hash', '--cluster', 'prod-eu'], `${secret}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const handle = handlerFromEnv(
      { metrics: 'gcp', write: () => {} },
      { OUTRIGGER_AUTH_KEYS: JSON.stringify({ 'prod-eu': r.stdout.trim() }) },
    );
    const res = await handle({
      method: 'POST',
      path: `/inject/cluster/prod-eu/key/${secret}`,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(review(deploymentPod()))),
    });
    assert.equal(res.status, 200);
  });

  it('refuses a missing --cluster and a weak secret, printing no hash', () => {
    const noCluster = cli(['auth-hash'], '0123456789abcdef0123\n');
    assert.equal(noCluster.status, 2, 'a usage error');
    assert.equal(
      noCluster.stderr,
      "error: --cluster ID is required: the id in the webhook URL path (/inject/cluster/ID/...)\nrun 'outrigger auth-hash --help' for usage\n",
    );
    const weak = cli(['auth-hash', '--cluster', 'c1'], 'hunter2\n');
    assert.equal(weak.status, 1);
    assert.equal(weak.stdout, '');
    assert.equal(
      weak.stderr,
      'error: the secret on standard input is 7 characters; use at least 16, e.g. openssl rand -hex 32\n',
    );
  });
});
