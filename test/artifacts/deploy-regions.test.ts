// infra/deploy-regions.sh with recording stand-ins for npx serverless, aws and gcloud: one deployment per
// region in order, each with its region's config, and each cluster's webhook configuration (written by
// the real dist/cli.js) pointing at its own region's URL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';

let work: string;
before(async () => {
  await ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'outrigger-regions-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

const FLEET = `# cluster region network
eu-1 eu-west-1 net-eu
eu-2 eu-west-1
us-1 us-east-1 net-us
`;

/** Runs the script with stand-ins that record their arguments and answer each region's URL. */
function run(env: Record<string, string>): {
  status: number | null;
  stderr: string;
  calls: string[];
  out: string;
} {
  const dir = mkdtempSync(join(work, 'run-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const calls = join(dir, 'calls');
  const stub = (name: string, body: string) =>
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> ${calls}\n${body}\n`, {
      mode: 0o755,
    });
  stub('npm', 'exit 0');
  stub('npx', 'exit 0');
  // The region follows --region in both CLIs.
  const region = 'r=""; prev=""; for a in "$@"; do [[ $prev == --region ]] && r=$a; prev=$a; done';
  stub('aws', `${region}\necho "https://fn-$r.lambda-url.$r.on.aws/"`);
  stub(
    'gcloud',
    `${region}\nprev=""; for a in "$@"; do [[ $prev == --env-vars-file ]] && cat "$a" >> ${calls}; prev=$a; done\n[[ "$1 $2 $3" == "run services describe" ]] && echo "https://outrigger-$r.a.run.app"\n[[ "$1 $2 $3" == "iam service-accounts describe" ]] && exit 1\nexit 0`,
  );
  writeFileSync(join(dir, 'fleet.tsv'), FLEET);
  const out = join(dir, 'webhooks');
  const r = spawnSync('bash', ['infra/deploy-regions.sh'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH}`, FLEET: join(dir, 'fleet.tsv'), OUT: out, ...env },
  });
  const recorded = existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [];
  return { status: r.status, stderr: r.stderr, calls: recorded, out };
}

function webhookUrls(file: string): string[] {
  const config = yaml.load(readFileSync(file, 'utf8')) as { webhooks: { clientConfig: { url: string } }[] };
  return [...new Set(config.webhooks.map((w) => w.clientConfig.url))];
}

describe('infra/deploy-regions.sh', () => {
  it('aws: one serverless deploy per region with its own config, webhooks at the cluster’s own region', () => {
    const secrets = join(work, 'secrets');
    mkdirSync(secrets, { recursive: true });
    for (const c of ['eu-1', 'eu-2', 'us-1'])
      writeFileSync(join(secrets, `${c}.secret`), `${c}-secret-0123456789`);
    const r = run({
      CLOUD: 'aws',
      AUTH_KEYS: 'secretsmanager://outrigger/auth-keys',
      CONFIG: 's3://acme-{region}/rollout.yaml',
      CONFIG_BUCKET: 'acme-{region}',
      CONFIG_KEY: 'rollout.yaml',
      SECRETS_DIR: secrets,
    });
    assert.equal(r.status, 0, r.stderr);
    const deploys = r.calls.filter((c) => c.startsWith('npx serverless deploy'));
    assert.deepEqual(deploys, [
      'npx serverless deploy --stage prod --region eu-west-1 --param=config=s3://acme-eu-west-1/rollout.yaml --param=authKeys=secretsmanager://outrigger/auth-keys --param=configBucket=acme-eu-west-1 --param=configKey=rollout.yaml',
      'npx serverless deploy --stage prod --region us-east-1 --param=config=s3://acme-us-east-1/rollout.yaml --param=authKeys=secretsmanager://outrigger/auth-keys --param=configBucket=acme-us-east-1 --param=configKey=rollout.yaml',
    ]);
    assert.deepEqual(webhookUrls(join(r.out, 'eu-1.yaml')), [
      'https://fn-eu-west-1.lambda-url.eu-west-1.on.aws/inject/cluster/eu-1/key/eu-1-secret-0123456789/net/net-eu',
    ]);
    assert.deepEqual(webhookUrls(join(r.out, 'eu-2.yaml')), [
      'https://fn-eu-west-1.lambda-url.eu-west-1.on.aws/inject/cluster/eu-2/key/eu-2-secret-0123456789',
    ]);
    assert.deepEqual(webhookUrls(join(r.out, 'us-1.yaml')), [
      'https://fn-us-east-1.lambda-url.us-east-1.on.aws/inject/cluster/us-1/key/us-1-secret-0123456789/net/net-us',
    ]);
  });

  it('gcp: deploy.sh once per region with its own config; URLs without a secret for bearer tokens', () => {
    const r = run({
      CLOUD: 'gcp',
      PROJECT: 'acme',
      AUTH_KEYS_SECRET: 'outrigger-auth-keys',
      CONFIG: 'gs://acme-{region}/rollout.yaml',
      WEBHOOK_ARGS: '--failure-policy Ignore',
    });
    assert.equal(r.status, 0, r.stderr);
    const deploys = r.calls.filter((c) => c.startsWith('gcloud run deploy'));
    assert.equal(deploys.length, 2);
    assert.match(deploys[0] as string, /--region eu-west-1 /);
    assert.match(deploys[1] as string, /--region us-east-1 /);
    assert.ok(
      r.calls.some((c) => c.includes("OUTRIGGER_CONFIG: 'gs://acme-eu-west-1/rollout.yaml'")) &&
        r.calls.some((c) => c.includes("OUTRIGGER_CONFIG: 'gs://acme-us-east-1/rollout.yaml'")),
      r.calls.join('\n'),
    );
    assert.deepEqual(webhookUrls(join(r.out, 'us-1.yaml')), [
      'https://outrigger-us-east-1.a.run.app/inject/cluster/us-1/net/net-us',
    ]);
    const config = yaml.load(readFileSync(join(r.out, 'eu-2.yaml'), 'utf8')) as {
      webhooks: { failurePolicy: string }[];
    };
    assert.ok(config.webhooks.every((w) => w.failurePolicy === 'Ignore'));
  });

  it('refuses a fleet file without regions, and an unknown cloud', () => {
    const bad = join(work, 'bad.tsv');
    writeFileSync(bad, 'c1\n');
    const noRegion = spawnSync('bash', ['infra/deploy-regions.sh'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, FLEET: bad },
    });
    assert.equal(noRegion.status, 2);
    assert.match(noRegion.stderr, /cluster c1 names no region/);
    const cloud = spawnSync('bash', ['infra/deploy-regions.sh'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, FLEET: bad, CLOUD: 'azure' },
    });
    assert.equal(cloud.status, 2);
    assert.match(cloud.stderr, /CLOUD must be aws or gcp, not "azure"/);
  });
});
