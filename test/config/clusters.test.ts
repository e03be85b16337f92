import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyPatch } from 'rfc6902';
import { handleReview } from '../../lib/admission/handle-review.ts';
import { layerBundles, validateBundle } from '../../lib/config/bundle.ts';
import { clusterConfigs } from '../../lib/config/cluster-configs.ts';
import { compileBundle, type InjectorConfig } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { configFromEnv } from '../../lib/config/from-env.ts';
import { startStores, type TestStores } from '../../harness/stores.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
}

let stores: TestStores;
before(async () => {
  stores = await startStores();
});
after(() => stores.close());

const BUNDLE = `
values:
  global: {hub: shared.example/istio, tag: '1.0'}
clusters:
  east:
    values: {global: {network: net-east, hub: east.example/istio}}
  west:
    mesh: {trustDomain: west.local}
`;

/** The istio-proxy container of the pod as the webhook patched it, for the request on `path`. */
async function injectedProxy(
  lookup: (cluster: string) => Promise<InjectorConfig>,
  path: string,
): Promise<Container> {
  const pod = deploymentPod();
  const { review: out } = await handleReview(review(pod), path, { revision: '', config: lookup });
  const response = out.response as { allowed: boolean; patch: string };
  assert.equal(response.allowed, true);
  const patched = structuredClone(pod) as { spec: { containers: Container[]; initContainers?: Container[] } };
  applyPatch(patched, JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')));
  const all = [...patched.spec.containers, ...(patched.spec.initContainers ?? [])];
  const proxy = all.find((c) => c.name === 'istio-proxy');
  assert.ok(proxy, 'istio-proxy injected');
  return proxy;
}

function env(c: Container, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

describe('per-cluster overlays', () => {
  it('requests on /inject/cluster/<id>/ get their cluster overlay; unknown ids get the base', async () => {
    stores.sm.put('clusters/bundle', BUNDLE);
    const compiles: string[] = [];
    const lookup = configFromEnv(
      { ...stores.env, OUTRIGGER_CONFIG: 'secretsmanager://clusters/bundle' },
      {
        log: () => {},
        compile: (bundle, source, engine) => {
          compiles.push(source);
          return compileBundle(bundle, source, engine);
        },
      },
    );

    const east = await injectedProxy(lookup, '/inject/cluster/east');
    assert.equal(env(east, 'ISTIO_META_NETWORK'), 'net-east');
    assert.equal(env(east, 'ISTIO_META_CLUSTER_ID'), 'east');
    assert.match(east.image, /^east\.example\/istio\//);

    const west = await injectedProxy(lookup, '/inject/cluster/west/net/n1');
    assert.equal(env(west, 'TRUST_DOMAIN'), 'west.local');
    assert.equal(env(west, 'ISTIO_META_NETWORK'), 'n1', 'the URL path still names the network');
    assert.match(west.image, /^shared\.example\/istio\//);

    for (const path of ['/inject/cluster/south', '/inject', '/inject/cluster/constructor']) {
      const base = await injectedProxy(lookup, path);
      assert.equal(env(base, 'ISTIO_META_NETWORK'), undefined, path);
      assert.equal(env(base, 'TRUST_DOMAIN'), 'cluster.local', path);
      assert.match(base.image, /^shared\.example\/istio\//, path);
    }

    await injectedProxy(lookup, '/inject/cluster/east');
    assert.deepEqual(compiles, [
      'secretsmanager://clusters/bundle',
      'secretsmanager://clusters/bundle clusters.east',
      'secretsmanager://clusters/bundle clusters.west',
    ]);
  });

  it('overlays for one cluster from several layers merge like layers do', () => {
    const bundle = layerBundles(
      DEFAULT_BUNDLE,
      validateBundle({ clusters: { east: { values: { global: { network: 'n-east', hub: 'a' } } } } }, 'base'),
      validateBundle(
        { clusters: { east: { values: { global: { hub: 'b' } } }, west: { policy: 'disabled' } } },
        'env',
      ),
    );
    assert.deepEqual(bundle.clusters, {
      east: { values: { global: { network: 'n-east', hub: 'b' } } },
      west: { policy: 'disabled' },
    });
    const lookup = clusterConfigs(bundle, 'test');
    assert.equal(lookup('west').bundle.policy, 'disabled');
    assert.equal(lookup('east').bundle.policy, 'enabled');
    assert.equal(lookup('').bundle.clusters, undefined, 'the served config carries no overlays');
  });

  it('rejects a bad overlay with the path of the bad field', () => {
    const cases: [unknown, string][] = [
      [{ clusters: [] }, 'invalid config bundle s: clusters: must be a map of cluster id to bundle fields'],
      [{ clusters: { east: 'x' } }, 'invalid config bundle s: clusters.east: must be a map of bundle fields'],
      [
        { clusters: { east: { values: [1] } } },
        'invalid config bundle s: clusters.east.values: must be a map',
      ],
      [
        { clusters: { east: { clusters: {} } } },
        'invalid config bundle s: clusters.east.clusters: unknown field; expected one of policy, defaultTemplates, templates, aliases, neverInjectSelector, alwaysInjectSelector, injectedAnnotations, values, mesh, nativeSidecars, profile, compliancePolicy, features',
      ],
    ];
    for (const [raw, message] of cases) assert.throws(() => validateBundle(raw, 's'), { message });
  });

  it('checks every overlay when the bundle loads, so a bad one never reaches a request', () => {
    const missing = layerBundles(DEFAULT_BUNDLE, { clusters: { east: { defaultTemplates: ['nope'] } } });
    assert.throws(() => clusterConfigs(missing, 'src'), {
      message:
        'invalid config bundle src clusters.east: defaultTemplates: names template "nope", which the bundle does not define',
    });
    const broken = layerBundles(DEFAULT_BUNDLE, { clusters: { east: { templates: { extra: '{% if %}' } } } });
    assert.throws(() => clusterConfigs(broken, 'src'), /template "extra" does not parse/);
  });
});
