import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch } from 'rfc6902';
import { handleReview } from '../../lib/admission/handle-review.ts';
import { checkInject } from '../../lib/cli/check-inject.ts';
import { matchingWebhook } from '../../lib/webhook-config/match.ts';
import { layerBundles, validateBundle } from '../../lib/config/bundle.ts';
import { clusterConfigs } from '../../lib/config/cluster-configs.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { parseBundleDocument } from '../../lib/config/parse.ts';
import { decodePath } from '../../lib/http/decode-path.ts';
import { createHandler } from '../../lib/http/handle.ts';
import type { JsonObject } from '../../lib/json.ts';
import { parseInjectPath } from '../../lib/path/params.ts';
import { buildWebhookConfigs } from '../../lib/webhook-config/build.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

/** One deployment's bundle: two revisions on two Istio releases, each with its own image tag. */
const BUNDLE = `
values:
  global: {hub: registry.example/istio}
mesh:
  extensionProviders:
  - name: otel
    opentelemetry: {service: otel.observability.svc, port: 4317, serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS}
revisions:
  1-29:
    profile: istio-1.29
    values: {global: {tag: 1.29.6}}
  1-30:
    profile: istio-1.30
    values: {global: {tag: 1.30.3}}
`;
const lookup = clusterConfigs(
  layerBundles(DEFAULT_BUNDLE, parseBundleDocument(BUNDLE, 'bundle.yaml')),
  'bundle.yaml',
);
const URL_C1 = 'https://fn.example/inject/cluster/c1/net/n1';
const OPTIONS = {
  url: URL_C1,
  failurePolicy: 'Fail',
  timeoutSeconds: 10,
  reinvocationPolicy: 'Never',
  namespaceMode: 'label',
};

function webhooks(tags: { tag: string; revision: string }[]): JsonObject[] {
  const built = buildWebhookConfigs({ ...OPTIONS, revisions: ['1-29', '1-30'], tags });
  assert.ok(built.ok, JSON.stringify(built));
  return built.configs;
}

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
}
interface Injected {
  metadata: { annotations: Record<string, string>; labels: Record<string, string> };
  spec: { initContainers: Container[]; containers: Container[] };
}

/**
 * What the API server does with a pod in a namespace: call the webhook whose selectors match (none:
 * the pod is created as it is), at its URL, and apply the patch it answers.
 */
async function create(
  mwcs: JsonObject[],
  namespace: string,
  namespaceLabels: Record<string, string>,
  podLabels: Record<string, string> = {},
): Promise<{ pod?: Injected; webhook?: string; message?: string }> {
  const pod = deploymentPod('web', { labels: podLabels });
  const hook = matchingWebhook(mwcs, pod, { namespace, namespaceLabels });
  if (!hook.url) return {};
  const path = decodeURIComponent(new URL(hook.url).pathname);
  const { review: answer } = await handleReview(review(pod, { namespace }), path, {
    revision: '',
    config: async (cluster) => lookup(cluster),
  });
  const response = answer.response as { allowed: boolean; patch?: string; status?: { message: string } };
  if (!response.allowed) return { webhook: hook.name, message: response.status?.message };
  const out = structuredClone(pod) as unknown as Injected;
  applyPatch(out, JSON.parse(Buffer.from(response.patch as string, 'base64').toString('utf8')));
  return { pod: out, webhook: hook.name };
}

const proxyOf = (pod: Injected | undefined) => {
  const proxy = pod?.spec.initContainers.find((c) => c.name === 'istio-proxy');
  assert.ok(proxy, 'istio-proxy injected');
  return proxy;
};
const env = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

/** The release a pod's sidecar came from, told by what differs between 1.29 and 1.30. */
function release(pod: Injected | undefined): string {
  const proxy = proxyOf(pod);
  const tag = proxy.image.split(':').pop();
  const otel = env(proxy, 'OTEL_RESOURCE_ATTRIBUTES') !== undefined;
  assert.equal(otel, tag === '1.30.3', `the ${tag} image comes with its own release's template`);
  return tag as string;
}

describe('revisions and tags in one deployment', () => {
  it('the path names the revision: rev/<name> is no proxy env', () => {
    assert.deepEqual(parseInjectPath('/inject/cluster/c1/net/n1/rev/1-29'), {
      envs: { ISTIO_META_CLUSTER_ID: 'c1', ISTIO_META_NETWORK: 'n1' },
      revision: '1-29',
    });
    assert.deepEqual(parseInjectPath('/inject/:ENV:cluster=c1:ENV:rev=1-30'), {
      envs: { ISTIO_META_CLUSTER_ID: 'c1' },
      revision: '1-30',
    });
    assert.deepEqual(parseInjectPath('/inject/cluster/c1'), { envs: { ISTIO_META_CLUSTER_ID: 'c1' } });
  });

  it('namespaces on 1-29 and 1-30 each get their release; an unlabelled one gets nothing', async () => {
    const mwcs = webhooks([]);
    assert.deepEqual(
      mwcs.map((m) => (m.metadata as JsonObject).name),
      ['outrigger-sidecar-injector-1-29', 'outrigger-sidecar-injector-1-30'],
    );
    const old = await create(mwcs, 'shop', { 'istio.io/rev': '1-29' });
    assert.equal(release(old.pod), '1.29.6');
    assert.equal(old.webhook, 'rev.namespace.sidecar-injector.outrigger.dev');
    assert.equal(proxyOf(old.pod).image, 'registry.example/istio/proxyv2:1.29.6');
    assert.equal(old.pod?.metadata.annotations['istio.io/rev'], '1-29');
    assert.equal(JSON.parse(old.pod?.metadata.annotations['sidecar.istio.io/status'] ?? '').revision, '1-29');
    assert.equal(env(proxyOf(old.pod), 'CA_ADDR'), 'istiod-1-29.istio-system.svc:15012');
    assert.equal(env(proxyOf(old.pod), 'ISTIO_META_CLUSTER_ID'), 'c1');
    assert.equal(env(proxyOf(old.pod), 'ISTIO_META_NETWORK'), 'n1');
    assert.equal(env(proxyOf(old.pod), 'REV'), undefined);

    const now = await create(mwcs, 'cart', { 'istio.io/rev': '1-30' });
    assert.equal(release(now.pod), '1.30.3');
    assert.equal(env(proxyOf(now.pod), 'CA_ADDR'), 'istiod-1-30.istio-system.svc:15012');
    assert.equal(now.pod?.metadata.annotations['istio.io/rev'], '1-30');

    // A pod may pick its revision itself in a namespace without one.
    const own = await create(mwcs, 'misc', {}, { 'istio.io/rev': '1-30' });
    assert.equal(own.webhook, 'rev.object.sidecar-injector.outrigger.dev');
    assert.equal(release(own.pod), '1.30.3');
    assert.deepEqual(await create(mwcs, 'plain', {}), {});
  });

  it('a tag moved from one revision to the other moves the namespaces labelled with it', async () => {
    const before = webhooks([{ tag: 'prod', revision: '1-29' }]);
    const tag = before[2] as JsonObject;
    assert.deepEqual(tag.metadata, {
      name: 'outrigger-revision-tag-prod',
      labels: { app: 'sidecar-injector', 'istio.io/rev': '1-29', 'istio.io/tag': 'prod' },
    });
    assert.equal(release((await create(before, 'shop', { 'istio.io/rev': 'prod' })).pod), '1.29.6');
    assert.equal(release((await create(before, 'pinned', { 'istio.io/rev': '1-29' })).pod), '1.29.6');

    const after = webhooks([{ tag: 'prod', revision: '1-30' }]);
    const moved = await create(after, 'shop', { 'istio.io/rev': 'prod' });
    assert.equal(release(moved.pod), '1.30.3');
    assert.equal(moved.pod?.metadata.annotations['istio.io/rev'], '1-30');
    assert.equal(release((await create(after, 'pinned', { 'istio.io/rev': '1-29' })).pod), '1.29.6');
  });

  it('the default tag takes the default selectors (istio-injection=enabled, unlabelled pods opting in)', async () => {
    const mwcs = webhooks([{ tag: 'default', revision: '1-30' }]);
    const legacy = await create(mwcs, 'old-style', { 'istio-injection': 'enabled' });
    assert.equal(legacy.webhook, 'namespace.sidecar-injector.outrigger.dev');
    assert.equal(release(legacy.pod), '1.30.3');
    const optIn = await create(mwcs, 'plain', {}, { 'sidecar.istio.io/inject': 'true' });
    assert.equal(release(optIn.pod), '1.30.3');
    assert.equal(release((await create(mwcs, 'd', { 'istio.io/rev': 'default' })).pod), '1.30.3');
  });

  it('check-inject reports the webhook and the revision that would answer', () => {
    const mwcs = webhooks([{ tag: 'prod', revision: '1-29' }]);
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
`;
    const [result] = checkInject(manifest, lookup(''), {
      namespace: 'shop',
      namespaceLabels: { 'istio.io/rev': 'prod' },
      webhookConfigs: mwcs,
    });
    assert.equal(result?.inject, true);
    assert.equal(result?.revision, '1-29');
    assert.match(result?.reason ?? '', /revision 1-29, profile istio-1\.29/);
  });

  it('an unknown revision is refused naming the served ones; the deployment’s own revision needs no entry', async () => {
    const ask = async (path: string, revision = '') => {
      const { review: answer } = await handleReview(review(deploymentPod()), path, {
        revision,
        config: async (cluster) => lookup(cluster),
      });
      return answer.response as { allowed: boolean; status?: { message: string } };
    };
    const unknown = await ask('/inject/cluster/c1/rev/1-31');
    assert.equal(unknown.allowed, false);
    assert.equal(
      unknown.status?.message,
      `revision "1-31" is not served by this injector's config (revisions: default, 1-29, 1-30); add it under the bundle's revisions`,
    );
    assert.equal((await ask('/inject/cluster/c1/rev/default')).allowed, true);
    assert.equal((await ask('/inject/cluster/c1/rev/canary', 'canary')).allowed, true);
  });

  it('the HTTP handler passes the path through: one deployment answers both revisions', async () => {
    const handler = createHandler({ revision: '', config: async (cluster) => lookup(cluster) });
    const images: string[] = [];
    for (const rev of ['1-29', '1-30']) {
      const pod = deploymentPod();
      const res = await handler({
        method: 'POST',
        path: `/inject/cluster/c1/net/n1/rev/${rev}`,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify(review(pod))),
      });
      assert.equal(res.status, 200, res.body);
      const patch = JSON.parse(Buffer.from(JSON.parse(res.body).response.patch, 'base64').toString('utf8'));
      const out = structuredClone(pod) as unknown as Injected;
      applyPatch(out, patch);
      images.push(proxyOf(out).image);
    }
    assert.deepEqual(images, [
      'registry.example/istio/proxyv2:1.29.6',
      'registry.example/istio/proxyv2:1.30.3',
    ]);
  });

  it('webhook-config --revision in either URL form: the calls reach that revision, with the cluster and network', async () => {
    const handler = createHandler({ revision: '', config: async (cluster) => lookup(cluster) });
    for (const url of [URL_C1, 'https://fn.example/inject/:ENV:cluster=c1:ENV:net=n1']) {
      const built = buildWebhookConfigs({ ...OPTIONS, url, revisions: ['1-29', '1-30'], tags: [] });
      assert.ok(built.ok, JSON.stringify(built));
      for (const [rev, tag] of [
        ['1-29', '1.29.6'],
        ['1-30', '1.30.3'],
      ] as const) {
        const pod = deploymentPod('web');
        const hook = matchingWebhook(built.configs, pod, {
          namespace: 'shop',
          namespaceLabels: { 'istio.io/rev': rev },
        });
        assert.ok(hook.url, `${url}: a webhook for ${rev}`);
        // As the function's front ends pass it: the path of the URL called, percent-decoded.
        const res = await handler({
          method: 'POST',
          path: decodePath(new URL(hook.url).pathname),
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(JSON.stringify(review(pod, { namespace: 'shop' }))),
        });
        assert.equal(res.status, 200, res.body);
        const response = JSON.parse(res.body).response;
        assert.equal(response.allowed, true, `${hook.url}: ${JSON.stringify(response.status)}`);
        const out = structuredClone(pod) as unknown as Injected;
        applyPatch(out, JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')));
        const proxy = proxyOf(out);
        assert.equal(release(out), tag, hook.url);
        assert.equal(out.metadata.annotations['istio.io/rev'], rev, hook.url);
        assert.equal(env(proxy, 'ISTIO_META_CLUSTER_ID'), 'c1', hook.url);
        assert.equal(env(proxy, 'ISTIO_META_NETWORK'), 'n1', hook.url);
      }
    }
  });

  it('every revision is checked when the bundle loads', () => {
    assert.throws(
      () =>
        clusterConfigs(
          layerBundles(
            DEFAULT_BUNDLE,
            validateBundle({ revisions: { '1-29': { defaultTemplates: ['nope'] } } }, 'b'),
          ),
          'b',
        ),
      /invalid config bundle b revisions\.1-29: defaultTemplates: names template "nope"/,
    );
    assert.throws(
      () => validateBundle({ revisions: { Canary: {} } }, 'b'),
      /revisions\.Canary: a revision name is a label value/,
    );
    assert.throws(
      () => validateBundle({ revisions: { default: {} } }, 'b'),
      /revisions\.default: a revision name/,
    );
    assert.throws(
      () => validateBundle({ revisions: { x: { revisions: {} } } }, 'b'),
      /revisions\.x\.revisions: unknown field/,
    );
  });

  it('webhook-config refuses conflicting revisions and tags', () => {
    const bad = buildWebhookConfigs({
      ...OPTIONS,
      revisions: ['default', '1-29', '1-29'],
      tags: [
        { tag: 'default', revision: '1-30' },
        { tag: '1-29', revision: '1-30' },
      ],
    });
    assert.deepEqual(bad, {
      ok: false,
      errors: [
        '--revision 1-29 is given twice',
        "--tag default=1-30: the default revision's own webhooks already take the default selectors; give either --revision default or --tag default",
        '--tag 1-29=1-30: a tag cannot have the name of a revision',
      ],
    });
    const odd = buildWebhookConfigs({
      ...OPTIONS,
      url: 'https://fn.example/inject/cluster',
      revisions: ['1-29'],
      tags: [],
    });
    assert.equal(odd.ok, false);
    assert.match((odd as { errors: string[] }).errors[0] ?? '', /key\/value pairs/);
  });
});
