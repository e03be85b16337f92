// istiod beside Outrigger on a real API server: istiod's webhook cert patcher and its injection webhook,
// run from Istio's own packages (test/istiod, Istio's release-1.30 branch), the way istiod's bootstrap
// starts them. Shows that the patcher rewrites the caBundle of webhooks named as Istio names them (what
// webhook-config printed before), leaves Outrigger's alone, and that the migration in
// docs/migrating-from-istiod.md injects every pod exactly once at every step.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { secretHash } from '../../lib/auth/secret-hash.ts';
import { ROOT } from '../../harness/deploy/build.ts';
import { type Child, startChild } from '../../harness/deploy/isolated.ts';
import { freePort } from '../../harness/support/spawn-server.ts';
import { type Ca, makeCa, makeLeaf } from '../../harness/e2e/certs.ts';
import {
  apply,
  createPod,
  eventually,
  namespace,
  proxies,
  simplePod,
  webhookConfig,
} from '../../harness/e2e/cluster.ts';
import {
  BIN,
  type ControlPlane,
  controlPlaneBuilt,
  startControlPlane,
} from '../../harness/e2e/control-plane.ts';
import { serverFront, type WebhookFront } from '../../harness/e2e/fronts.ts';

const C1 = { id: 'c1', secret: 'e2e-istiod-secret-0123456789abcdef' };
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

let cp: ControlPlane;
let outriggerCa: Ca;
let istiodCa: Ca;
let front: WebhookFront;
let istiod: Child;
let istiodUrl: string;

before(async () => {
  assert.ok(controlPlaneBuilt(), 'the control plane is not built: run bash test/controlplane/build.sh');
  cp = await startControlPlane();
  await namespace(cp, 'istio-system');
  await namespace(cp, 'shop', { 'istio-injection': 'enabled' });
  outriggerCa = makeCa(cp.dir, 'outrigger-ca');
  istiodCa = makeCa(cp.dir, 'istiod-ca');
  const port = await freePort();
  front = await serverFront(port, makeLeaf(cp.dir, 'outrigger', outriggerCa));
  await front.start({ OUTRIGGER_AUTH_KEYS: JSON.stringify({ [C1.id]: secretHash(C1.id, C1.secret) }) });

  const istiodPort = await freePort();
  istiodUrl = `https://127.0.0.1:${istiodPort}/inject`;
  const leaf = makeLeaf(cp.dir, 'istiod', istiodCa);
  istiod = startChild(
    'istiod-injection',
    cp.dir,
    [
      `--kubeconfig=${cp.kubeconfig}`,
      `--ca-cert=${istiodCa.certFile}`,
      `--tls-cert=${leaf.certFile}`,
      `--tls-key=${leaf.keyFile}`,
      `--inject-dir=${injectorDir(cp.dir)}`,
      `--listen=127.0.0.1:${istiodPort}`,
    ],
    { ENABLE_NATIVE_SIDECARS: 'false', PATH: process.env.PATH ?? '' },
    { command: join(BIN, 'istiod-injection') },
  );
  await eventually('istiod-injection ready', async () => {
    if (istiod.process.exitCode !== null) assert.fail(istiod.describe());
    return istiod.stdout().includes('ready') ? true : undefined;
  });
});
after(async () => {
  await istiod?.stop();
  await front?.dispose();
  await cp?.stop();
});

/** istiod's injector config and values, as its ConfigMap holds them, from Istio 1.30's chart defaults. */
function injectorDir(dir: string): string {
  const defaults = join(ROOT, 'test', 'conformance', 'istio-versions', '1.30', 'defaults');
  const templates = join(defaults, 'templates');
  const byName: Record<string, string> = {};
  for (const f of readdirSync(templates)) {
    if (f.endsWith('.helm.yaml')) continue;
    const name =
      f === 'injection-template.yaml'
        ? 'sidecar'
        : f === 'gateway-injection-template.yaml'
          ? 'gateway'
          : f.replace(/\.yaml$/, '');
    byName[name] = readFileSync(join(templates, f), 'utf8');
  }
  const out = join(dir, 'inject');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'config'),
    yaml.dump({
      policy: 'enabled',
      alwaysInjectSelector: [],
      neverInjectSelector: [],
      injectedAnnotations: {},
      defaultTemplates: ['sidecar'],
      templates: byName,
    }),
  );
  writeFileSync(join(out, 'values'), readFileSync(join(defaults, 'values.json'), 'utf8'));
  writeFileSync(join(out, 'mesh'), readFileSync(join(defaults, 'mesh.yaml'), 'utf8'));
  return out;
}

/** istiod's own MutatingWebhookConfiguration as its chart makes it (one webhook), with no caBundle. */
function istiodWebhooks() {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: 'istio-sidecar-injector',
      labels: { app: 'sidecar-injector', 'istio.io/rev': 'default' },
    },
    webhooks: [
      {
        name: 'namespace.sidecar-injector.istio.io',
        clientConfig: { url: istiodUrl },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } },
        objectSelector: {
          matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }],
        },
        sideEffects: 'None',
        admissionReviewVersions: ['v1beta1', 'v1'],
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
      },
    ],
  };
}

const caBundles = async (name: string): Promise<string[] | undefined> => {
  const r = await cp.api('GET', `${MWC}/${name}`);
  return r.status === 200
    ? r.json.webhooks.map((w: { clientConfig: { caBundle?: string } }) => w.clientConfig.caBundle ?? '')
    : undefined;
};
const b64 = (pem: string) => Buffer.from(pem).toString('base64');

describe('istiod (its cert patcher and injector, Istio release-1.30) beside Outrigger', () => {
  it('istiod patches its own webhook configuration, and its webhook injects', async () => {
    await apply(cp, JSON.stringify(istiodWebhooks()));
    await eventually('istiod writes its CA into its webhook', async () =>
      (await caBundles('istio-sidecar-injector'))?.every((c) => c === b64(istiodCa.pem)) ? true : undefined,
    ).catch((err) => assert.fail(`${err.message}\n${istiod.describe()}`));
    const r = await createPod(cp, 'shop', simplePod('by-istiod'));
    assert.equal(r.status, 201, r.text);
    assert.equal(proxies(r.json), 1);
  });

  it('webhooks named *.sidecar-injector.istio.io, as webhook-config named them before, get istiod’s CA', async () => {
    const old = yaml.load(
      webhookConfig([
        '--url',
        `${front.url}/inject/cluster/c1/key/${C1.secret}`,
        '--ca-bundle',
        outriggerCa.certFile,
        '--name',
        'outrigger-old-names',
      ]),
    ) as any;
    for (const w of old.webhooks) {
      w.name = w.name.replace(/sidecar-injector\.outrigger\.dev$/, 'sidecar-injector.istio.io');
      w.namespaceSelector = { matchLabels: { 'e2e.example/never': 'true' } };
    }
    await apply(cp, JSON.stringify(old));
    await eventually('istiod rewrites the old-named caBundle', async () =>
      (await caBundles('outrigger-old-names'))?.every((c) => c === b64(istiodCa.pem)) ? true : undefined,
    );
    assert.equal((await cp.api('DELETE', `${MWC}/outrigger-old-names`)).status, 200);
  });

  it('the migration: both injectors, then Outrigger alone; its caBundle stays; each pod has one istio-proxy', async () => {
    // 1. Outrigger's webhooks beside istiod's: istiod's configuration sorts first, so istiod injects and
    //    Outrigger, called after it, leaves the injected pod as it is.
    await apply(
      cp,
      webhookConfig([
        '--url',
        `${front.url}/inject/cluster/c1/key/${C1.secret}`,
        '--ca-bundle',
        outriggerCa.certFile,
      ]),
    );
    const both = await createPod(cp, 'shop', simplePod('both'));
    assert.equal(both.status, 201, both.text);
    assert.equal(proxies(both.json), 1);
    // istiod has reconciled every configuration it watches by now (it handled the add event above);
    // poke it once more with a label change and check again.
    await cp.api(
      'PATCH',
      `${MWC}/outrigger-sidecar-injector`,
      { metadata: { labels: { 'e2e.example/poke': '1' } } },
      'application/merge-patch+json',
    );
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok((await caBundles('outrigger-sidecar-injector'))?.every((c) => c === b64(outriggerCa.pem)));

    // 2. istiod's webhook configuration removed: Outrigger alone injects.
    assert.equal((await cp.api('DELETE', `${MWC}/istio-sidecar-injector`)).status, 200);
    const alone = await createPod(cp, 'shop', simplePod('outrigger-alone'));
    assert.equal(alone.status, 201, alone.text);
    assert.equal(proxies(alone.json), 1);
    assert.match(front.describe(), /injected shop\/Pod\/outrigger-alone/);

    // 3. istiod's injector switched off: nothing changes for pods.
    await istiod.stop();
    const after = await createPod(cp, 'shop', simplePod('istiod-gone'));
    assert.equal(proxies(after.json), 1);
    assert.ok((await caBundles('outrigger-sidecar-injector'))?.every((c) => c === b64(outriggerCa.pem)));
  });
});
