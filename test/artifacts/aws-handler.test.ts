import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { secretHash } from '../../lib/auth/secret-hash.ts';
import { handlerFromEnv } from '../../lib/http/from-env.ts';
import { lambdaHandler } from '../../lib/http/lambda.ts';
import { EVENT_SHAPES, functionUrlEvent, restApiEvent } from '../../harness/deploy/aws-events.ts';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { patchedPod, proxyEnv } from '../../harness/deploy/patched.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

const SECRET_1 = 'c1-0123456789abcdef0123456789abcdef';
const SECRET_2 = 'c2-fedcba9876543210fedcba9876543210';
const ENV = {
  OUTRIGGER_AUTH_KEYS: JSON.stringify({ c1: secretHash('c1', SECRET_1), c2: secretHash('c2', SECRET_2) }),
};
const POD = deploymentPod('hello');
const BODY = JSON.stringify(review(POD, { uid: 'aws-uid-1' }));

const lines: string[] = [];
const handler = lambdaHandler(handlerFromEnv({ metrics: 'emf', write: (l) => lines.push(l) }, ENV));

describe('Lambda handler: every event shape, plain and base64 bodies', () => {
  for (const [shape, event] of Object.entries(EVENT_SHAPES)) {
    for (const base64 of [false, true]) {
      it(`${shape}${base64 ? ', base64 body' : ''}: the secret path segment authenticates and never reaches the pod`, async () => {
        lines.length = 0;
        const out = await handler(
          event({ path: `/inject/cluster/c1/key/${SECRET_1}/net/n1`, body: BODY, base64 }),
        );
        assert.equal(out.statusCode, 200);
        assert.equal(out.headers['content-type'], 'application/json');
        assert.equal(out.isBase64Encoded, false);
        const answer = JSON.parse(out.body);
        assert.equal(answer.response.uid, 'aws-uid-1');
        const pod = patchedPod(answer, POD);
        const env = proxyEnv(pod);
        assert.equal(env.ISTIO_META_CLUSTER_ID, 'c1');
        assert.equal(env.ISTIO_META_NETWORK, 'n1');
        assert.equal(env.KEY, undefined);
        assert.ok(!out.body.includes(SECRET_1), 'secret in the response');
        assert.ok(!JSON.stringify(pod).includes(SECRET_1), 'secret in the patched pod');
        assert.equal(lines.length, 1);
        assert.ok(!(lines[0] as string).includes(SECRET_1), 'secret in the log line');
      });
    }

    it(`${shape}: auth matrix (none 401, wrong 401, other cluster's 403, right 200)`, async () => {
      const call = async (path: string, headers: Record<string, string> = {}) =>
        (await handler(event({ path, headers, body: BODY }))).statusCode;
      assert.equal(await call('/inject/cluster/c1/net/n1'), 401);
      assert.equal(await call('/inject/cluster/c1/key/not-the-secret-0123456789/net/n1'), 401);
      assert.equal(await call(`/inject/cluster/c1/key/${SECRET_2}/net/n1`), 403);
      assert.equal(await call(`/inject/cluster/c1/key/${SECRET_1}/net/n1`), 200);
      assert.equal(
        await call('/inject/cluster/c1/net/n1', { Authorization: 'Bearer wrong-token-0123456789' }),
        401,
      );
      assert.equal(await call('/inject/cluster/c1/net/n1', { Authorization: `Bearer ${SECRET_2}` }), 403);
      assert.equal(await call('/inject/cluster/c1/net/n1', { Authorization: `Bearer ${SECRET_1}` }), 200);
    });
  }

  it('401 says only "unauthorized" and asks for a bearer token; 403 says only "forbidden"', async () => {
    const none = await handler(functionUrlEvent({ path: '/inject/cluster/c1', body: BODY }));
    assert.deepEqual(none, {
      statusCode: 401,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' },
      body: 'unauthorized\n',
      isBase64Encoded: false,
    });
    const other = await handler(functionUrlEvent({ path: `/inject/cluster/c1/key/${SECRET_2}`, body: BODY }));
    assert.equal(other.body, 'forbidden\n');
  });

  it('header names are case-insensitive; multiValueHeaders alone are enough', async () => {
    const event = restApiEvent({
      path: '/inject/cluster/c1',
      headers: { 'CONTENT-TYPE': 'application/json', AUTHORIZATION: `bearer ${SECRET_1}` },
      body: BODY,
    });
    const headers = event.headers;
    delete (headers as Record<string, string>)['Content-Type'];
    event.multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
    assert.equal((await handler({ ...event, headers: null })).statusCode, 200);
  });

  it('/healthz answers without credentials', async () => {
    const out = await handler(functionUrlEvent({ method: 'GET', path: '/healthz' }));
    assert.equal(out.statusCode, 200);
    assert.equal(out.body, 'ok\n');
  });

  it('an event that is not an HTTP request gets a 400 naming what was expected', async () => {
    const out = await handler({ Records: [{ eventSource: 'aws:sqs' }] });
    assert.equal(out.statusCode, 400);
    assert.match(
      out.body,
      /^not an HTTP event: want an API Gateway REST or HTTP API event or a Function URL request/,
    );
  });
});

describe('Lambda log line: one JSON line per request with CloudWatch EMF metrics', () => {
  it('an injection', async () => {
    lines.length = 0;
    await handler(functionUrlEvent({ path: `/inject/cluster/c1/key/${SECRET_1}/net/n1`, body: BODY }));
    assert.equal(lines.length, 1);
    const line = lines[0] as string;
    assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'), 'one line');
    const entry = JSON.parse(line);
    assert.equal(entry.severity, 'INFO');
    assert.equal(entry.uid, 'aws-uid-1');
    assert.equal(entry.cluster, 'c1');
    assert.equal(entry.namespace, 'default');
    assert.equal(entry.workload, 'Deployment/hello');
    assert.equal(entry.decision, 'injected');
    assert.deepEqual(entry.templates, ['sidecar']);
    assert.equal(entry.status, 200);
    assert.match(entry.configVersion, /^[0-9a-f]{12}$/);
    assert.equal(typeof entry.durationMs, 'number');
    assert.deepEqual(entry._aws.CloudWatchMetrics, [
      {
        Namespace: 'Outrigger',
        Dimensions: [[], ['cluster']],
        Metrics: [
          { Name: 'requests', Unit: 'Count' },
          { Name: 'injected', Unit: 'Count' },
          { Name: 'skipped', Unit: 'Count' },
          { Name: 'failed', Unit: 'Count' },
          { Name: 'duration', Unit: 'Milliseconds' },
        ],
      },
    ]);
    assert.equal(typeof entry._aws.Timestamp, 'number');
    assert.deepEqual(
      [entry.requests, entry.injected, entry.skipped, entry.failed, entry.duration],
      [1, 1, 0, 0, entry.durationMs],
    );
  });

  it('a refused caller counts as failed, with the generic reason and no secret', async () => {
    lines.length = 0;
    const wrong = 'wrong-secret-0123456789abcdef';
    await handler(functionUrlEvent({ path: `/inject/cluster/c1/key/${wrong}`, body: BODY }));
    const entry = JSON.parse(lines[0] as string);
    assert.equal(entry.decision, 'rejected');
    assert.equal(entry.severity, 'WARNING');
    assert.equal(entry.status, 401);
    assert.equal(entry.reason, 'unauthorized');
    assert.equal(entry.failed, 1);
    assert.deepEqual(entry._aws.CloudWatchMetrics[0].Dimensions, [[]], 'no per-cluster series for strangers');
    assert.ok(!(lines[0] as string).includes(wrong));
  });

  it('an unknown path is logged without the path', async () => {
    lines.length = 0;
    const out = await handler(
      functionUrlEvent({ path: `/prod/inject/cluster/c1/key/${SECRET_1}`, body: BODY }),
    );
    assert.equal(out.statusCode, 404);
    const entry = JSON.parse(lines[0] as string);
    assert.equal(entry.reason, 'no route for this path');
    assert.equal(entry.failed, 0);
    assert.ok(!(lines[0] as string).includes(SECRET_1));
  });
});

describe('Lambda start-up', () => {
  it('auth is on by default: no keys is an error at load that says what to set', () => {
    assert.throws(
      () => handlerFromEnv({ metrics: 'emf', write: () => {} }, {}),
      /^Error: caller authentication is on but OUTRIGGER_AUTH_KEYS is not set: set it to/,
    );
  });

  it('OUTRIGGER_AUTH=off logs one warning at start and then lets anyone inject', async () => {
    const logged: string[] = [];
    const open = lambdaHandler(
      handlerFromEnv({ metrics: 'emf', write: (l) => logged.push(l) }, { OUTRIGGER_AUTH: 'off' }),
    );
    assert.equal(logged.length, 1);
    assert.equal(JSON.parse(logged[0] as string).severity, 'WARNING');
    assert.match(logged[0] as string, /OUTRIGGER_AUTH=off/);
    assert.equal((await open(functionUrlEvent({ path: '/inject/cluster/c1', body: BODY }))).statusCode, 200);
  });
});

describe('dist/aws.js, the bundle Lambda runs', () => {
  before(ensureBuilt);

  it('runs alone, as in the Lambda zip (no node_modules), and injects through a Function URL event', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-lambda-'));
    try {
      copyFileSync(join(ROOT, 'dist/aws.js'), join(dir, 'aws.js'));
      cpSync(join(ROOT, 'dist/chunks'), join(dir, 'chunks'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      const event = functionUrlEvent({ path: `/inject/cluster/c1/key/${SECRET_1}`, body: BODY });
      const script = `const { handler } = await import('./aws.js');
        const out = await handler(${JSON.stringify(event)});
        process.stderr.write(JSON.stringify(out));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: dir,
        env: { PATH: process.env.PATH, ...ENV },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stderr.slice(r.stderr.indexOf('{"statusCode"')));
      assert.equal(out.statusCode, 200);
      patchedPod(JSON.parse(out.body), POD);
      const logLine = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
      assert.equal(logLine.decision, 'injected');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
