import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pod as PodModel } from 'kubernetes-models/v1';
import { PublishRefused, publishVersion } from '../../lib/cli/publish.ts';
import { podChanges } from '../../lib/cli/verify-diff.ts';
import { podProblems } from '../../lib/cli/verify-pod.ts';
import type { Pod } from '../../lib/kube/types.ts';
import { startStores, type TestStores } from '../../harness/stores.ts';

let stores: TestStores;
let work: string;
let corpus: string;
before(async () => {
  stores = await startStores();
  work = mkdtempSync(join(tmpdir(), 'outrigger-verify-'));
  corpus = join(work, 'corpus');
  mkdirSync(join(corpus, 'data'), { recursive: true });
  writeFileSync(join(corpus, 'web.yaml'), workload('Deployment', 'apps/v1', 'web', 'shop'));
  // Another document of another kind rides along and is not a workload.
  writeFileSync(
    join(corpus, 'data', 'db.yaml'),
    `${workload('StatefulSet', 'apps/v1', 'db', 'shop')}---\napiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {ports: [{port: 5432}]}\n`,
  );
  writeFileSync(
    join(corpus, 'report.yaml'),
    `apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: ops}
spec:
  schedule: '@daily'
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: report}}
        spec: {restartPolicy: Never, containers: [{name: report, image: report:1}]}
`,
  );
});
after(async () => {
  await stores.close();
  rmSync(work, { recursive: true, force: true });
});

function workload(kind: string, apiVersion: string, name: string, namespace: string): string {
  return `apiVersion: ${apiVersion}
kind: ${kind}
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - {name: ${name}, image: '${name}:1', ports: [{containerPort: 8080}]}
`;
}

/** A bundle directory: values, and templates by name (rendered after the default `sidecar`). */
function bundle(name: string, hub: string, templates: Record<string, string> = {}): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'values.yaml'), `global:\n  hub: ${hub}\n`);
  const names = Object.keys(templates);
  if (names.length)
    writeFileSync(join(dir, 'config.yaml'), `defaultTemplates: [sidecar, ${names.join(', ')}]\n`);
  for (const [t, text] of Object.entries(templates))
    writeFileSync(join(dir, 'templates', `${t}.liquid`), text);
  return dir;
}

const EXTRA = `spec:
  volumes:
  - name: extra-certs
    emptyDir: {}
  containers:
  - name: istio-proxy
    env:
    - name: EXTRA
      value: "1"
    volumeMounts:
    - name: extra-certs
      mountPath: /etc/extra
`;

describe('publish --verify-with: the corpus renders with the current and the new bundle', () => {
  it('prints per workload what changes in the injected pod, then publishes', async () => {
    const dir = bundle('good', 'new.example/istio', { extra: EXTRA });
    const out = await publishVersion(
      dir,
      's3://outrigger/verify/bundle.yaml',
      { format: 'yaml', verifyWith: corpus },
      stores.env,
    );
    assert.equal(out.written, true);
    const text = out.report;
    assert.match(text, /^verify .*corpus: embedded default → .*good\n/);
    assert.match(text, /^Deployment shop\/web \(.*web\.yaml\): \d+ changes$/m);
    assert.match(text, /^StatefulSet shop\/db \(.*db\.yaml\): /m);
    assert.match(text, /^CronJob ops\/report \(.*report\.yaml\): /m);
    assert.match(
      text,
      /~ init container istio-proxy: image [^ ]+\/proxyv2:[^ ]+ → new\.example\/istio\/proxyv2:/,
    );
    assert.match(text, /~ init container istio-proxy: env \+EXTRA/);
    assert.match(text, /~ init container istio-proxy: volumeMounts \+\/etc\/extra \(extra-certs\)/);
    assert.match(text, /\+ volume extra-certs/);
    assert.match(text, /verify: all 3 workload renders pass with the new bundle\n/);
    assert.ok(out.verification?.verdicts.every((v) => v.failure === undefined));
  });

  it('refuses a template change that breaks one workload, names it and the error, and writes nothing', async () => {
    const dir = bundle('breaks-db', 'new.example/istio', {
      certs: `{% if pod.metadata.labels.app == "db" %}
spec:
  containers:
  - name: istio-proxy
    volumeMounts:
    - name: db-certs
      mountPath: /etc/db-certs
{% endif %}`,
    });
    stores.sm.resetCalls();
    await assert.rejects(
      publishVersion(
        dir,
        'secretsmanager://verify/refused',
        { format: 'yaml', verifyWith: corpus },
        stores.env,
      ),
      (err: PublishRefused) => {
        assert.ok(err instanceof PublishRefused);
        assert.match(
          err.message,
          /^StatefulSet shop\/db \(.*db\.yaml\): FAILS with the new bundle: the injected pod is not a valid Pod: spec\.initContainers\[\d\]\.volumeMounts\[\d+\]\.name: "db-certs" is not a volume of the pod$/m,
        );
        assert.match(err.message, /^Deployment shop\/web .*: \d+ changes?$/m);
        assert.match(
          err.message,
          /refusing to publish .*breaks-db: 1 workload render fails with it; nothing was written$/,
        );
        assert.equal(err.verification.failed, 1);
        return true;
      },
    );
    assert.equal(stores.sm.totalCalls(), 0, 'nothing was written');
  });

  it('a render error names the workload and the template error', async () => {
    const dir = bundle('render-error', 'new.example/istio', {
      meta: `metadata:
  annotations:
    example.com/owner: {{ pod.metadata.labels.app | append: "-team" }}
{% if pod.metadata.labels.app == "web" %}
    example.com/parsed: {{ "not json" | from_json }}
{% endif %}`,
    });
    const err = await publishVersion(
      dir,
      's3://outrigger/verify/x.yaml',
      { format: 'yaml', verifyWith: corpus, dryRun: true },
      stores.env,
    ).then(
      () => assert.fail('expected a refusal'),
      (e: Error) => e,
    );
    assert.match(
      err.message,
      /^Deployment shop\/web \(web\.yaml\): FAILS with the new bundle: .*template "meta".*not JSON: "not json"/m,
    );
    assert.match(err.message, /\+ metadata\.annotations example\.com\/owner=db-team/);
  });

  it('--dry-run prints the verification and the URI it would write, and writes nothing', async () => {
    const dir = bundle('dry', 'dry.example/istio');
    stores.gcs.resetCalls();
    const out = await publishVersion(
      dir,
      'gs://outrigger/verify/',
      { format: 'yaml', verifyWith: join(corpus, 'web.yaml'), dryRun: true },
      stores.env,
    );
    assert.equal(out.written, false);
    assert.match(out.uri, /^gs:\/\/outrigger\/verify\/bundle\.[0-9a-f]{16}\.yaml$/);
    assert.match(out.report, /Deployment shop\/web .*: \d changes?\n/);
    assert.match(out.report, /dry run: would publish .* nothing was written\n$/);
    assert.equal(stores.gcs.totalCalls(), 0);
  });

  it('--against compares with a published version (or a rollout document default)', async () => {
    const dir = bundle('against-v1', 'same.example/istio', { extra: EXTRA });
    const v1 = await publishVersion(dir, 's3://outrigger/against/', { format: 'yaml' }, stores.env);
    const out = await publishVersion(
      dir,
      's3://outrigger/against/',
      { format: 'yaml', verifyWith: corpus, against: v1.uri, dryRun: true },
      stores.env,
    );
    assert.match(out.report, /^Deployment shop\/web .*: unchanged$/m);
    await stores.s3.put('outrigger', 'against/rollout.yaml', `kind: Rollout\ndefault: ${v1.uri}\n`);
    const viaDoc = await publishVersion(
      dir,
      's3://outrigger/against/',
      { format: 'yaml', verifyWith: corpus, against: 's3://outrigger/against/rollout.yaml', dryRun: true },
      stores.env,
    );
    assert.match(viaDoc.report, /\(default of s3:\/\/outrigger\/against\/rollout\.yaml\)/);
    assert.match(viaDoc.report, /^CronJob ops\/report .*: unchanged$/m);

    // A bundle version is read once: the read that tells it from a rollout document is the one compiled.
    const pinned = await publishVersion(dir, 'gs://outrigger/against/', { format: 'yaml' }, stores.env);
    stores.gcs.resetCalls();
    const viaGcs = await publishVersion(
      dir,
      'gs://outrigger/against/',
      { format: 'yaml', verifyWith: corpus, against: pinned.uri, dryRun: true },
      stores.env,
    );
    assert.match(viaGcs.report, /^Deployment shop\/web .*: unchanged$/m);
    // The pinned version read once: its metadata (size, encoding), then its content.
    assert.deepEqual(stores.gcs.calls, { metadata: 1, media: 1 });
  });
});

describe('podChanges: what a reviewer sees change in an injected pod', () => {
  const pod = (annotations: Record<string, string>, labels: Record<string, string> = {}): Pod =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations, labels },
      spec: { containers: [{ name: 'app', image: 'app:1' }] },
    }) as Pod;

  it('annotations and labels named like Object.prototype members are added and removed like any other', () => {
    assert.deepEqual(podChanges(pod({ constructor: 'x', a: '1' }), pod({ a: '1' })), [
      '- metadata.annotations constructor',
    ]);
    assert.deepEqual(podChanges(pod({}), pod({ constructor: 'x' })), [
      '+ metadata.annotations constructor=x',
    ]);
    assert.deepEqual(podChanges(pod({ constructor: 'x' }), pod({ constructor: 'y' })), [
      '~ metadata.annotations constructor: x → y',
    ]);
    assert.deepEqual(podChanges(pod({}, { toString: 'a' }), pod({}, { hasOwnProperty: 'b' })), [
      '- metadata.labels toString',
      '+ metadata.labels hasOwnProperty=b',
    ]);
  });
});

describe('structural Pod checks of the shipped CLI', () => {
  const valid: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { app: 'p' } },
    spec: {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [{ name: 'app', image: 'app:1', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    },
  };
  const broken: [string, (p: Pod & { spec: Record<string, unknown> }) => void, RegExp][] = [
    [
      'a mount of no volume',
      (p) =>
        (((p.spec.containers as Pod[])[0] as Record<string, unknown>).volumeMounts = [
          { name: 'nope', mountPath: '/x' },
        ]),
      /"nope" is not a volume/,
    ],
    [
      'two containers of one name',
      (p) => (p.spec.initContainers = [{ name: 'app', image: 'x' }]),
      /"app" is used by another container/,
    ],
    ['a container without an image', (p) => (p.spec.containers = [{ name: 'app' }]), /image: is missing/],
    [
      'a bad container name',
      (p) => (p.spec.containers = [{ name: 'App_1', image: 'x' }]),
      /is not a valid name/,
    ],
    [
      'two volumes of one name',
      (p) =>
        (p.spec.volumes = [
          { name: 'data', emptyDir: {} },
          { name: 'data', emptyDir: {} },
        ]),
      /used by another volume/,
    ],
    [
      'a port out of range',
      (p) => (p.spec.containers = [{ name: 'app', image: 'x', ports: [{ containerPort: 70000 }] }]),
      /containerPort: must be a port number/,
    ],
    [
      'a bad quantity',
      (p) => (p.spec.containers = [{ name: 'app', image: 'x', resources: { limits: { cpu: 'lots' } } }]),
      /"lots" is not a quantity/,
    ],
    ['no containers', (p) => (p.spec.containers = []), /spec\.containers: must be a list of at least one/],
  ];
  it('accepts a valid pod', () => {
    assert.deepEqual(podProblems(valid), []);
    new PodModel(valid as never).validate();
  });
  for (const [what, edit, problem] of broken) {
    it(`refuses ${what}, as the Kubernetes schema or API server does`, () => {
      const pod = structuredClone(valid) as Pod & { spec: Record<string, unknown> };
      edit(pod);
      assert.match(podProblems(pod).join('\n'), problem);
    });
  }
});
