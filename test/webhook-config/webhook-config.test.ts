import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { takePathKey } from '../../lib/auth/path-key.ts';
import { decodePath } from '../../lib/http/decode-path.ts';
import { parseInjectPath } from '../../lib/path/params.ts';
import { buildWebhookConfig, type WebhookConfigOptions } from '../../lib/webhook-config/build.ts';
import { ROOT } from '../../harness/deploy/build.ts';

const URL_C1 = 'https://abcdefgh.lambda-url.eu-west-1.on.aws/inject/cluster/c1/net/n1';
const ISTIO_RENDERED = new URL(
  '../conformance/istio/config/mutatingwebhookconfiguration.rendered.yaml',
  import.meta.url,
);
const TMP = mkdtempSync(join(tmpdir(), 'outrigger-mwc-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'functions/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
}

const DEFAULTS: WebhookConfigOptions = {
  url: URL_C1,
  revision: '',
  failurePolicy: 'Fail',
  timeoutSeconds: 10,
  reinvocationPolicy: 'Never',
  namespaceMode: 'label',
};

type Webhook = {
  name: string;
  clientConfig: { url: string; caBundle?: string };
  namespaceSelector: unknown;
  objectSelector: unknown;
  [k: string]: unknown;
};

function webhooksOf(options: Partial<WebhookConfigOptions>): Webhook[] {
  const built = buildWebhookConfig({ ...DEFAULTS, ...options });
  assert.ok(built.ok, JSON.stringify(built));
  new MutatingWebhookConfiguration(built.config as never).validate();
  return built.config.webhooks as unknown as Webhook[];
}

describe('outrigger webhook-config: the output is a valid MutatingWebhookConfiguration', () => {
  it('the CLI prints YAML that the admissionregistration.k8s.io/v1 schema accepts', () => {
    const r = cli(['webhook-config', '--url', URL_C1]);
    assert.equal(r.status, 0, r.stderr);
    const doc = yaml.load(r.stdout) as Record<string, unknown>;
    new MutatingWebhookConfiguration(doc as never).validate();
    assert.equal(doc.apiVersion, 'admissionregistration.k8s.io/v1');
    assert.equal(doc.kind, 'MutatingWebhookConfiguration');
    assert.deepEqual(doc.metadata, {
      name: 'outrigger-sidecar-injector',
      labels: { app: 'sidecar-injector', 'istio.io/rev': 'default' },
    });
    for (const w of doc.webhooks as Webhook[]) {
      assert.deepEqual(w.clientConfig, { url: URL_C1 });
      assert.deepEqual(w.rules, [
        { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
      ]);
      assert.equal(w.sideEffects, 'None');
      assert.deepEqual(w.admissionReviewVersions, ['v1', 'v1beta1']);
      assert.equal(w.failurePolicy, 'Fail');
      assert.equal(w.reinvocationPolicy, 'Never');
      assert.equal(w.timeoutSeconds, 10);
      assert.deepEqual(w.matchConditions, [
        {
          name: 'skip-system-namespaces',
          expression:
            "!(request.namespace in ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'])",
        },
        {
          name: 'skip-mirror-pods',
          expression:
            "!has(object.metadata.annotations) || !('kubernetes.io/config.mirror' in object.metadata.annotations)",
        },
      ]);
    }
  });

  it('default revision, label mode: the selectors of Istio’s own four webhooks', () => {
    const istio = yaml.load(readFileSync(ISTIO_RENDERED, 'utf8')) as { webhooks: Webhook[] };
    const selectors = (ws: Webhook[]) =>
      ws.map((w) => ({ name: w.name, ns: w.namespaceSelector, obj: w.objectSelector }));
    const ours = webhooksOf({}).map((w) => ({
      ...w,
      name: w.name.replace(/sidecar-injector\.outrigger\.dev$/, 'sidecar-injector.istio.io'),
    }));
    assert.deepEqual(selectors(ours), selectors(istio.webhooks));
  });

  it('no webhook name ends in sidecar-injector.istio.io, which istiod’s cert patcher rewrites', () => {
    for (const namespaceMode of ['label', 'all'])
      for (const w of webhooksOf({ namespaceMode }))
        assert.doesNotMatch(w.name, /sidecar-injector\.istio\.io$/);
  });

  it('--namespace-mode all adds Istio’s `auto` webhook for unlabelled namespaces', () => {
    const auto = webhooksOf({ namespaceMode: 'all' }).find((w) => w.name.startsWith('auto.'));
    assert.deepEqual(auto?.namespaceSelector, {
      matchExpressions: [
        { key: 'istio-injection', operator: 'DoesNotExist' },
        { key: 'istio.io/rev', operator: 'DoesNotExist' },
        {
          key: 'kubernetes.io/metadata.name',
          operator: 'NotIn',
          values: ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'],
        },
      ],
    });
    assert.deepEqual(auto?.objectSelector, {
      matchExpressions: [
        { key: 'sidecar.istio.io/inject', operator: 'DoesNotExist' },
        { key: 'istio.io/rev', operator: 'DoesNotExist' },
      ],
    });
  });

  it('--revision keeps only the two revision webhooks, selecting that revision, and names the config after it', () => {
    const built = buildWebhookConfig({ ...DEFAULTS, revision: 'canary' });
    assert.ok(built.ok);
    new MutatingWebhookConfiguration(built.config as never).validate();
    assert.deepEqual(built.config.metadata, {
      name: 'outrigger-sidecar-injector-canary',
      labels: { app: 'sidecar-injector', 'istio.io/rev': 'canary' },
    });
    const ws = built.config.webhooks as unknown as Webhook[];
    assert.deepEqual(
      ws.map((w) => w.name),
      ['rev.namespace.sidecar-injector.outrigger.dev', 'rev.object.sidecar-injector.outrigger.dev'],
    );
    assert.match(JSON.stringify(ws), /"values":\["canary"\]/);
  });

  it('every other flag lands in every webhook', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const ws = webhooksOf({
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'IfNeeded',
      timeoutSeconds: 5,
      caBundlePem: pem,
      name: 'injector.example.com',
    });
    for (const w of ws) {
      assert.equal(w.failurePolicy, 'Ignore');
      assert.equal(w.reinvocationPolicy, 'IfNeeded');
      assert.equal(w.timeoutSeconds, 5);
      assert.equal(w.clientConfig.caBundle, Buffer.from(pem).toString('base64'));
    }
  });
});

describe('outrigger webhook-config: the URL is checked by the API server’s rules', () => {
  const FORM = '; desired format: https://host[/path]';
  const cases: [string, string[]][] = [
    ['http://injector.example.com/inject', [`'https' is the only allowed URL scheme, not 'http'${FORM}`]],
    ['https://user:pw@injector.example.com/inject', ['user information is not permitted in the URL']],
    ['https://@injector.example.com/inject', ['user information is not permitted in the URL']],
    ['https://injector.example.com/inject?cluster=c1', ['query parameters are not permitted in the URL']],
    ['https://injector.example.com/inject#c1', ['fragments are not permitted in the URL']],
    ['injector.example.com/inject', [`url must be a valid URL: Invalid URL${FORM}`]],
    ['https:///inject', [`host must be specified${FORM}`]],
    ['https:injector.example.com/inject', [`host must be specified${FORM}`]],
    [
      'http://u@injector.example.com/inject?a=b#c',
      [
        `'https' is the only allowed URL scheme, not 'http'${FORM}`,
        'user information is not permitted in the URL',
        'fragments are not permitted in the URL',
        'query parameters are not permitted in the URL',
      ],
    ],
  ];
  for (const [url, problems] of cases) {
    it(url, () => {
      assert.deepEqual(buildWebhookConfig({ ...DEFAULTS, url }), {
        ok: false,
        errors: problems.map((p) => `--url ${JSON.stringify(url)}: ${p}`),
      });
    });
  }

  it('the CLI prints every problem and exits 2 (a usage error)', () => {
    const r = cli([
      'webhook-config',
      '--url',
      'http://x/inject',
      '--timeout',
      '31',
      '--failure-policy',
      'fail',
    ]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      [
        `error: --url "http://x/inject": 'https' is the only allowed URL scheme, not 'http'${FORM}`,
        '       --failure-policy must be one of Fail, Ignore, not "fail"',
        "       --timeout must be a whole number of seconds from 1 to 30 (the API server's range), not 31",
        "run 'outrigger webhook-config --help' for usage",
        '',
      ].join('\n'),
    );
  });

  it('other options are checked too', () => {
    const built = buildWebhookConfig({
      ...DEFAULTS,
      revision: 'Canary',
      namespaceMode: 'everything',
      reinvocationPolicy: 'Always',
      name: 'Outrigger',
      caBundlePem: 'not a pem',
    });
    assert.deepEqual(built, {
      ok: false,
      errors: [
        '--reinvocation must be one of Never, IfNeeded, not "Always"',
        '--namespace-mode must be one of label, all, not "everything"',
        `--revision "Canary" is not a valid label value (lower-case letters, digits, '-', at most 63)`,
        `--name "Outrigger" is not a valid object name (a DNS subdomain: lower-case letters, digits, '-', '.')`,
        '--ca-bundle holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
      ],
    });
    assert.deepEqual(buildWebhookConfig({ ...DEFAULTS, revision: 'canary', namespaceMode: 'all' }), {
      ok: false,
      errors: [
        '--namespace-mode all is for the default revision only (as Istio enableNamespacesByDefault); a revision is chosen by label',
      ],
    });
  });
});

describe('outrigger webhook-config --revision: the URL names the revision in the path form given', () => {
  // What the function reads from the URL the API server calls: the decoded path, the key taken out.
  const read = (url: string) => parseInjectPath(takePathKey(decodePath(new URL(url).pathname)).path);
  const FORMS = [
    ['key/value pairs', URL_C1, `${URL_C1}/rev/canary`],
    [
      ':ENV:',
      'https://fn.example/inject/:ENV:cluster=c1:ENV:net=n1',
      'https://fn.example/inject/:ENV:cluster=c1:ENV:net=n1:ENV:rev=canary',
    ],
    [
      ':ENV: with a trailing slash and a path key',
      'https://fn.example/inject/:ENV:cluster=c1:ENV:key=s3cret:ENV:net=n1/',
      'https://fn.example/inject/:ENV:cluster=c1:ENV:key=s3cret:ENV:net=n1:ENV:rev=canary',
    ],
  ] as const;
  for (const [form, url, expected] of FORMS) {
    it(`${form}: parses back to the cluster, the network and the revision`, () => {
      const urls = new Set(webhooksOf({ url, revision: 'canary' }).map((w) => w.clientConfig.url));
      assert.deepEqual([...urls], [expected]);
      assert.deepEqual(read(expected), {
        envs: { ISTIO_META_CLUSTER_ID: 'c1', ISTIO_META_NETWORK: 'n1' },
        revision: 'canary',
      });
      assert.deepEqual(read(url), { envs: { ISTIO_META_CLUSTER_ID: 'c1', ISTIO_META_NETWORK: 'n1' } });
    });
  }

  it('a URL that names a revision itself is refused, in either form', () => {
    for (const [url, spelled] of [
      [`${URL_C1}/rev/canary`, 'rev/...'],
      ['https://fn.example/inject/:ENV:cluster=c1:ENV:rev=canary', ':ENV:rev=...'],
    ] as const) {
      assert.deepEqual(buildWebhookConfig({ ...DEFAULTS, url, revision: 'canary' }), {
        ok: false,
        errors: [
          `--url ${JSON.stringify(url)}: names a revision (${spelled}); give it with --revision instead`,
        ],
      });
    }
  });
});

describe('outrigger webhook-config --revision R... --tag NAME=R...', () => {
  it("prints one configuration per revision and per tag, each calling its revision's URL", () => {
    const r = cli([
      'webhook-config',
      '--url',
      URL_C1,
      '--revision',
      '1-29',
      '--revision',
      '1-30',
      '--tag',
      'prod=1-29',
      '--tag',
      'default=1-30',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const docs = yaml.loadAll(r.stdout) as Record<string, any>[];
    for (const doc of docs) new MutatingWebhookConfiguration(doc as never).validate();
    assert.deepEqual(
      docs.map((d) => [
        d.metadata.name,
        d.metadata.labels['istio.io/rev'],
        d.metadata.labels['istio.io/tag'],
      ]),
      [
        ['outrigger-sidecar-injector-1-29', '1-29', undefined],
        ['outrigger-sidecar-injector-1-30', '1-30', undefined],
        ['outrigger-revision-tag-prod', '1-29', 'prod'],
        ['outrigger-revision-tag-default', '1-30', 'default'],
      ],
    );
    const urls = docs.map((d) => [...new Set(d.webhooks.map((w: Webhook) => w.clientConfig.url))]);
    assert.deepEqual(urls, [
      [`${URL_C1}/rev/1-29`],
      [`${URL_C1}/rev/1-30`],
      [`${URL_C1}/rev/1-29`],
      [`${URL_C1}/rev/1-30`],
    ]);
    // Istio's tag webhooks: the tag's rev.namespace/rev.object, and for `default` the default selectors.
    assert.deepEqual(
      docs[2]?.webhooks.map((w: Webhook) => w.name),
      ['rev.namespace.sidecar-injector.outrigger.dev', 'rev.object.sidecar-injector.outrigger.dev'],
    );
    assert.match(JSON.stringify(docs[2]?.webhooks[0].namespaceSelector), /"values":\["prod"\]/);
    const rendered = yaml.load(readFileSync(ISTIO_RENDERED, 'utf8')) as { webhooks: Webhook[] };
    assert.deepEqual(
      docs[3]?.webhooks.map((w: Webhook) => [w.name, w.namespaceSelector, w.objectSelector]),
      rendered.webhooks.map((w) => [
        w.name.replace(/istio\.io$/, 'outrigger.dev'),
        w.namespaceSelector,
        w.objectSelector,
      ]),
    );
    const conflict = cli([
      'webhook-config',
      '--url',
      URL_C1,
      '--revision',
      'default',
      '--tag',
      'default=1-30',
    ]);
    assert.equal(conflict.status, 2);
    assert.match(conflict.stderr, /give either --revision default or --tag default/);
    assert.match(
      cli(['webhook-config', '--url', URL_C1, '--tag', 'prod']).stderr,
      /--tag prod: want NAME=REVISION/,
    );
  });
});

describe('check-inject --webhook-config reads the generated file', () => {
  it('selects pods through the generated webhooks as the API server would', () => {
    const mwc = join(TMP, 'mwc.yaml');
    const generated = cli(['webhook-config', '--url', URL_C1]);
    assert.equal(generated.status, 0, generated.stderr);
    writeFileSync(mwc, generated.stdout);
    const deployment = join(TMP, 'deployment.yaml');
    writeFileSync(
      deployment,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
`,
    );
    const check = (labels: string) =>
      cli([
        'check-inject',
        '-f',
        deployment,
        '--namespace',
        'shop',
        '--namespace-labels',
        labels,
        '--webhook-config',
        mwc,
      ]);
    const labelled = check('istio-injection=enabled');
    assert.equal(labelled.status, 0, labelled.stderr);
    assert.match(
      labelled.stdout,
      /^Deployment shop\/web: inject \(webhook namespace\.sidecar-injector\.outrigger\.dev is called; /,
    );
    const unlabelled = check('team=a');
    assert.equal(unlabelled.status, 0, unlabelled.stderr);
    assert.match(
      unlabelled.stdout,
      /^Deployment shop\/web: skip \(no webhook of outrigger-sidecar-injector selects it/,
    );
  });
});

describe('webhook-config refuses a URL whose path is not the webhook', () => {
  it('a path other than /inject would make every call a 404', () => {
    const r = cli(['webhook-config', '--url', 'https://x.example.com/']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /the webhook answers at \/inject .*at "\/" every call would get 404/);
    assert.equal(cli(['webhook-config', '--url', 'https://x.example.com/inject']).status, 0);
  });
});
