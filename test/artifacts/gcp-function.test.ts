import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { secretHash } from '../../lib/auth/secret-hash.ts';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { patchedPod, proxyEnv } from '../../harness/deploy/patched.ts';
import { DEPLOYED_RUNTIME_ENV } from '../../harness/support/deployed-env.ts';
import { functionsFramework, type ServerProcess, spawnServer } from '../../harness/support/spawn-server.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

const SECRET_1 = 'gcp-c1-0123456789abcdef0123456789';
const SECRET_2 = 'gcp-c2-fedcba9876543210fedcba9876';
const POD = deploymentPod('hello');
const BODY = JSON.stringify(review(POD, { uid: 'gcp-uid-1' }));

let server: ServerProcess;
before(async () => {
  await ensureBuilt();
  server = await spawnServer(
    functionsFramework('dist/gcp.js', {
      OUTRIGGER_AUTH_KEYS: JSON.stringify({ c1: secretHash('c1', SECRET_1), c2: secretHash('c2', SECRET_2) }),
    }),
  );
});
after(() => server?.stop());

async function post(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: BODY,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The function's JSON log lines for reviews, from the server's stdout. */
function requestLines(): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"decision"'))
    .map((l) => JSON.parse(l));
}

describe('GCP function through the real functions-framework server (dist/gcp.js)', () => {
  it('auth matrix: none 401, wrong 401, other cluster’s 403, right 200 with a patch', async () => {
    assert.equal((await post('/inject/cluster/c1/net/n1')).status, 401);
    assert.equal((await post('/inject/cluster/c1/key/wrong-0123456789abcdef/net/n1')).status, 401);
    assert.equal((await post(`/inject/cluster/c1/key/${SECRET_2}/net/n1`)).status, 403);
    assert.equal(
      (await post('/inject/cluster/c1', { authorization: 'Bearer wrong-0123456789abcdef' })).status,
      401,
    );
    assert.equal((await post('/inject/cluster/c1', { authorization: `Bearer ${SECRET_2}` })).status, 403);
    const bearer = await post('/inject/cluster/c1', { authorization: `Bearer ${SECRET_1}` });
    assert.equal(bearer.status, 200);
    patchedPod(JSON.parse(bearer.text), POD);
    const right = await post(`/inject/cluster/c1/key/${SECRET_1}/net/n1`);
    assert.equal(right.status, 200);
    patchedPod(JSON.parse(right.text), POD);
  });

  it('401 carries one generic line and a Bearer challenge', async () => {
    const res = await post('/inject/cluster/c1');
    assert.equal(res.text, 'unauthorized\n');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  });

  it('the secret reaches neither the pod nor any output of the process', async () => {
    const res = await post(`/inject/cluster/c1/key/${SECRET_1}/net/n1`);
    const pod = patchedPod(JSON.parse(res.text), POD);
    const env = proxyEnv(pod);
    assert.equal(env.ISTIO_META_CLUSTER_ID, 'c1');
    assert.equal(env.KEY, undefined);
    assert.ok(!res.text.includes(SECRET_1));
    assert.ok(!JSON.stringify(pod).includes(SECRET_1));
    assert.ok(!server.output().includes(SECRET_1), 'secret in stdout/stderr');
    assert.ok(!server.output().includes(SECRET_2), 'secret in stdout/stderr');
  });

  it('one structured log line per request, with severity and labels for log-based metrics', async () => {
    const before = requestLines().length;
    await post(`/inject/cluster/c1/key/${SECRET_1}/net/n1`);
    await new Promise((r) => setTimeout(r, 50));
    const lines = requestLines();
    assert.equal(lines.length, before + 1);
    const entry = lines.at(-1) as Record<string, unknown>;
    assert.equal(entry.severity, 'INFO');
    assert.deepEqual(entry['logging.googleapis.com/labels'], { cluster: 'c1', decision: 'injected' });
    assert.equal(entry.uid, 'gcp-uid-1');
    assert.equal(entry.workload, 'Deployment/hello');
    assert.equal(entry.status, 200);
    assert.equal(entry._aws, undefined);
  });

  it('/healthz needs no credentials', async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
  });
});

describe('GCP start-up and source bundle', () => {
  it('auth is on by default: without keys the function does not start, and says why', async () => {
    await ensureBuilt();
    await assert.rejects(
      spawnServer(functionsFramework('dist/gcp.js', { OUTRIGGER_AUTH: '', OUTRIGGER_AUTH_KEYS: '' })),
      /caller authentication is on but OUTRIGGER_AUTH_KEYS is not set/,
    );
  });

  it('infra/gcp/package.json pins the functions-framework version the tests run', () => {
    const deployed = JSON.parse(readFileSync(`${ROOT}/infra/gcp/package.json`, 'utf8'));
    const installed = JSON.parse(
      readFileSync(`${ROOT}/node_modules/@google-cloud/functions-framework/package.json`, 'utf8'),
    );
    assert.equal(deployed.dependencies['@google-cloud/functions-framework'], installed.version);
    assert.equal(deployed.main, 'gcp.js');
    assert.equal(deployed.type, 'module');
  });
});

describe('infra/gcp/deploy.sh', () => {
  const deployLog = (env: Record<string, string>) =>
    withRecordingGcloud('infra/gcp/deploy.sh', { AUTH_KEYS_SECRET: 'outrigger-auth-keys', ...env }).log;

  it('by default deploys dist/server.js as a Cloud Run service, with the same identity and settings', () => {
    const log = deployLog({ CONFIG: 'gs://acme-config/outrigger/bundle.yaml' });
    const deploy = log.split('\n').find((l) => l.startsWith('gcloud run deploy')) ?? '';
    for (const flag of [
      'run deploy outrigger',
      '--allow-unauthenticated',
      '--memory 256Mi',
      '--cpu 1',
      '--concurrency 80',
      '--timeout 15s',
      '--service-account outrigger-injector@acme.iam.gserviceaccount.com',
      '--set-secrets /etc/outrigger-keys/auth-keys.json=outrigger-auth-keys:latest',
    ]) {
      assert.ok(deploy.includes(flag), `${flag} missing from: ${deploy}`);
    }
    // A mounted file is re-read (each read fetches the secret's latest version); an environment variable
    // would hold the version the instance started with.
    assert.ok(log.split('\n').includes("OUTRIGGER_AUTH_KEYS: '/etc/outrigger-keys/auth-keys.json'"), log);
    assert.ok(!log.includes('gcloud functions deploy'), log);
    assert.match(log, /^chunks\npackage\.json\nserver\.js$/m);
  });

  it('refuses a TARGET other than run or function', () => {
    const r = spawnSync('bash', ['infra/gcp/deploy.sh'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, PROJECT: 'acme', AUTH: 'off', TARGET: 'vm' },
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /TARGET must be run or function, not "vm"/);
  });

  it('TARGET=function deploys a 2nd-gen HTTP function from the bundle, with read access to the config alone', () => {
    const log = deployLog({ CONFIG: 'gs://acme-config/outrigger/bundle.yaml', TARGET: 'function' });
    const deploy = log.split('\n').find((l) => l.startsWith('gcloud functions deploy')) ?? '';
    for (const flag of [
      'outrigger --gen2',
      '--runtime nodejs24',
      '--entry-point inject',
      '--trigger-http',
      '--allow-unauthenticated',
      '--memory 256Mi',
      '--timeout 10s',
      '--service-account outrigger-injector@acme.iam.gserviceaccount.com',
      '--set-secrets /etc/outrigger-keys/auth-keys.json=outrigger-auth-keys:latest',
    ]) {
      assert.ok(deploy.includes(flag), `${flag} missing from: ${deploy}`);
    }
    assert.match(log, /^gcloud iam service-accounts create outrigger-injector --project acme /m);
    for (const [name, value] of Object.entries(DEPLOYED_RUNTIME_ENV)) {
      assert.ok(log.split('\n').includes(`${name}: '${value}'`), `env.yaml: ${name}`);
    }
    assert.match(log, /^gcp\.js\npackage\.json$/m);
    assert.match(
      log,
      /gcloud secrets add-iam-policy-binding outrigger-auth-keys --project acme --member serviceAccount:outrigger-injector@acme\.iam\.gserviceaccount\.com --role roles\/secretmanager\.secretAccessor/,
    );
    assert.match(
      log,
      /gcloud storage buckets add-iam-policy-binding gs:\/\/acme-config .*--role roles\/storage\.objectViewer --condition \^;\^expression=resource\.name == 'projects\/_\/buckets\/acme-config\/objects\/outrigger\/bundle\.yaml' \|\| resource\.name\.startsWith\('projects\/_\/buckets\/acme-config\/objects\/outrigger\/bundle\.'\);/,
    );
  });
});

describe('infra/gcp/log-metrics.sh', () => {
  it('creates the log-based metrics and the four alert policies matching the AWS alarms, to the channel', () => {
    const channel = 'projects/acme/notificationChannels/42';
    const { log, files } = withRecordingGcloud('infra/gcp/log-metrics.sh', { NOTIFICATION_CHANNEL: channel });
    assert.match(log, /^gcloud logging metrics create outrigger_requests --project acme /m);
    assert.match(log, /^gcloud logging metrics create outrigger_duration --project acme /m);
    const policies = files.map((text) => JSON.parse(text));
    assert.deepEqual(
      policies.map((p) => p.displayName),
      ['failed-reviews', 'server-errors', 'overload', 'p99-duration'].map((n) => `outrigger outrigger: ${n}`),
    );
    for (const p of policies) assert.deepEqual(p.notificationChannels, [channel]);
    const failed = policies[0].conditions[0].conditionThreshold;
    assert.match(
      failed.filter,
      /outrigger_requests" AND metric\.label\.decision=one_of\("failed", "rejected"\)/,
    );
    assert.deepEqual(failed.aggregations[0].groupByFields, ['metric.label.cluster']);
    assert.equal(policies[3].conditions[0].conditionThreshold.thresholdValue, 8000);
  });
});

/**
 * Runs an infra/gcp script for project acme with gcloud and npm replaced by stand-ins: the gcloud calls
 * as a log (with the folder a `--source` names listed and an `--env-vars-file` printed), and the text
 * of each `--policy-from-file`. Nothing exists yet: the service account and the log-based metrics are
 * not found, and list calls print nothing.
 */
function withRecordingGcloud(script: string, env: Record<string, string>): { log: string; files: string[] } {
  const bin = mkdtempSync(join(tmpdir(), 'outrigger-gcloud-'));
  try {
    const calls = join(bin, 'calls');
    const files = join(bin, 'files');
    mkdirSync(files);
    writeFileSync(
      join(bin, 'gcloud'),
      `#!/usr/bin/env bash
echo "gcloud $*" >> ${calls}
prev=""
for a in "$@"; do
  [[ $prev == --source ]] && ls "$a" >> ${calls}
  [[ $prev == --env-vars-file ]] && cat "$a" >> ${calls}
  [[ $prev == --policy-from-file ]] && cp "$a" "${files}/$(ls ${files} | wc -l)"
  prev=$a
done
[[ "$1 $2 $3" == "iam service-accounts describe" || "$1 $2 $3" == "logging metrics describe" ]] && exit 1 || exit 0
`,
      { mode: 0o755 },
    );
    writeFileSync(join(bin, 'npm'), '#!/usr/bin/env bash\nexit 0\n', { mode: 0o755 });
    const r = spawnSync('bash', [script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH}`, PROJECT: 'acme', ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    const recorded = readdirSync(files).sort((a, b) => Number(a) - Number(b));
    return {
      log: readFileSync(calls, 'utf8'),
      files: recorded.map((f) => readFileSync(join(files, f), 'utf8')),
    };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}
