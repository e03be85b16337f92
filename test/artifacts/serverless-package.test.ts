import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requestLogLine } from '../../lib/observe/request-log.ts';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { zipEntries } from '../../harness/deploy/zip-entries.ts';
import { DEPLOYED_RUNTIME_ENV } from '../../harness/support/deployed-env.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const OUT = mkdtempSync(join(tmpdir(), 'outrigger-sls-'));
const AUTH_KEYS = '{"c1":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:outrigger-alarms';
let resources: Record<string, Resource>;
let zipFiles: string[];

before(async () => {
  await ensureBuilt();
  const r = spawnSync(
    'npx',
    [
      'serverless',
      'package',
      '--package',
      OUT,
      '--stage',
      'ci',
      '--region',
      'eu-west-1',
      `--param=authKeys=${AUTH_KEYS}`,
      '--param=configBucket=acme-injector-config',
      '--param=configKey=clusters/rollout.yaml',
      '--param=configVersionsPrefix=clusters/bundle.',
      '--param=configSecretName=acme/outrigger',
      '--param=authKeysSecretName=acme/outrigger-keys',
      `--param=alarmTopicArn=${TOPIC}`,
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      // Offline and quiet: no credentials are needed to package, and no telemetry or update checks.
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      },
      timeout: 120_000,
    },
  );
  assert.equal(r.status, 0, `serverless package failed:\n${r.stdout}\n${r.stderr}`);
  const template = JSON.parse(readFileSync(join(OUT, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
  zipFiles = zipEntries(join(OUT, 'outrigger.zip'));
});
after(() => rmSync(OUT, { recursive: true, force: true }));

function ofType(type: string): Resource[] {
  return Object.values(resources).filter((r) => r.Type === type);
}

describe('serverless package (serverless.yml → CloudFormation, offline)', () => {
  it('one Lambda function: nodejs24.x, 256 MB, 10 s, the bundle as handler, env from the parameters', () => {
    const [fn, ...more] = ofType('AWS::Lambda::Function');
    assert.equal(more.length, 0);
    const p = fn?.Properties as Record<string, unknown>;
    assert.equal(p.Runtime, 'nodejs24.x');
    assert.equal(p.MemorySize, 256);
    assert.equal(p.Timeout, 10);
    assert.equal(p.Handler, 'dist/aws.handler');
    const env = (p.Environment as { Variables: Record<string, string> }).Variables;
    assert.equal(env.OUTRIGGER_AUTH_KEYS, AUTH_KEYS);
    assert.equal(env.OUTRIGGER_AUTH, 'on');
    for (const [name, value] of Object.entries(DEPLOYED_RUNTIME_ENV)) {
      assert.equal(env[name], value, `${name}: what the attack tests and the benchmark run with`);
    }
    for (const name of [
      'OUTRIGGER_CONFIG',
      'OUTRIGGER_CONFIG_TTL',
      'OUTRIGGER_CONFIG_MAX_STALE',
      'OUTRIGGER_ON_CONFIG_ERROR',
    ]) {
      assert.ok(name in env, name);
    }
  });

  it('one public endpoint, the Function URL, and no API Gateway; reserved concurrency bounds a flood', () => {
    const [url, ...more] = ofType('AWS::Lambda::Url');
    assert.equal(more.length, 0);
    assert.equal(url?.Properties.AuthType, 'NONE');
    assert.deepEqual(
      Object.values(resources)
        .map((r) => r.Type)
        .filter((t) => t.startsWith('AWS::ApiGateway')),
      [],
    );
    const [fn] = ofType('AWS::Lambda::Function');
    assert.equal(fn?.Properties.ReservedConcurrentExecutions, 100);
  });

  it('alarms to the SNS topic: failed reviews by cluster from the EMF metrics the function writes, errors, throttles, p99 duration', () => {
    const alarms = Object.fromEntries(
      Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm'),
    ) as Record<string, Resource>;
    assert.deepEqual(Object.keys(alarms).sort(), [
      'AllFailedReviewsAlarm',
      'DurationAlarm',
      'FailedReviewsAlarm',
      'FunctionErrorsAlarm',
      'ThrottlesAlarm',
    ]);
    for (const alarm of Object.values(alarms)) {
      assert.deepEqual(alarm.Properties.AlarmActions, {
        'Fn::If': ['HasAlarmTopic', [TOPIC], { Ref: 'AWS::NoValue' }],
      });
    }
    // The query reads the namespace, metric and dimension the request log line's EMF block declares.
    const line = JSON.parse(
      requestLogLine(
        {
          status: 200,
          durationMs: 1,
          cluster: 'c1',
          review: { uid: 'u', namespace: 'ns', kind: 'Pod', result: 'failed', reason: 'x', templates: [] },
        },
        'emf',
      ),
    );
    const [emf] = line._aws.CloudWatchMetrics;
    assert.ok(emf.Dimensions.some((d: string[]) => d.length === 1 && d[0] === 'cluster'));
    assert.ok(emf.Metrics.some((m: { Name: string }) => m.Name === 'failed'));
    const [query] = alarms.FailedReviewsAlarm?.Properties.Metrics as { Expression: string }[];
    assert.equal(
      query?.Expression,
      `SELECT SUM(failed) FROM SCHEMA(${emf.Namespace}, cluster) GROUP BY cluster ORDER BY SUM() DESC`,
    );
    for (const [name, metric] of [
      ['FunctionErrorsAlarm', 'Errors'],
      ['ThrottlesAlarm', 'Throttles'],
      ['DurationAlarm', 'Duration'],
    ]) {
      const p = alarms[name as string]?.Properties as Record<string, unknown>;
      assert.equal(p.Namespace, 'AWS/Lambda');
      assert.equal(p.MetricName, metric);
      assert.deepEqual(p.Dimensions, [{ Name: 'FunctionName', Value: { Ref: 'InjectLambdaFunction' } }]);
    }
    // Refused calls and calls without a cluster carry only the dimensionless set: one alarm on it.
    assert.deepEqual(emf.Dimensions[0], []);
    const all = alarms.AllFailedReviewsAlarm?.Properties as Record<string, unknown>;
    assert.deepEqual([all.Namespace, all.MetricName, all.Dimensions], [emf.Namespace, 'failed', undefined]);
    assert.equal(alarms.DurationAlarm?.Properties.ExtendedStatistic, 'p99');
    assert.equal(alarms.DurationAlarm?.Properties.Threshold, 8000);
  });

  it('IAM: GetSecretValue on the config and keys secrets, GetObject on the one object and its bundle versions, nothing wider', () => {
    const [role] = ofType('AWS::IAM::Role');
    const policies = role?.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
    const statements = policies.flatMap((p) => p.PolicyDocument.Statement);
    const about = (service: string) =>
      statements.filter((s) => [s.Action].flat().some((a) => a.startsWith(`${service}:`)));
    const resource = (s: Statement) => JSON.stringify(s.Resource);

    const [secret, ...moreSecrets] = about('secretsmanager');
    assert.equal(moreSecrets.length, 0);
    assert.deepEqual([secret?.Action].flat(), ['secretsmanager:GetSecretValue']);
    assert.equal(
      resource(secret as Statement),
      JSON.stringify([
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:acme/outrigger-??????',
        },
        // OUTRIGGER_AUTH_KEYS=secretsmanager://acme/outrigger-keys reads this one.
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:acme/outrigger-keys-??????',
        },
      ]),
    );
    const [object, ...moreObjects] = about('s3');
    assert.equal(moreObjects.length, 0);
    assert.deepEqual([object?.Action].flat(), ['s3:GetObject']);
    assert.equal(
      resource(object as Statement),
      JSON.stringify([
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::acme-injector-config/clusters/rollout.yaml' },
        // The versions a rollout document names: one prefix, no other object of the bucket.
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::acme-injector-config/clusters/bundle.*' },
      ]),
    );
    assert.ok(!resource(secret as Statement).includes('*'), resource(secret as Statement));
  });

  it('the zip holds the bundle, its chunks but Cloud Storage’s, and the package.json that makes it ESM, nothing else', () => {
    // Every chunk but Cloud Storage's client, which a function on AWS never loads.
    const chunks = readdirSync(join(ROOT, 'dist', 'chunks'))
      .filter((f) => !f.startsWith('gcs-'))
      .map((f) => `dist/chunks/${f}`);
    assert.ok(chunks.length > 0);
    assert.deepEqual(zipFiles.sort(), ['dist/aws.js', ...chunks, 'dist/package.json'].sort());
    assert.equal(JSON.parse(readFileSync(join(ROOT, 'dist', 'package.json'), 'utf8')).type, 'module');
  });
});
