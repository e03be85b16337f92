import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layerBundles, validateBundle } from '../../lib/config/bundle.ts';
import { clusterConfigs } from '../../lib/config/cluster-configs.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES, profileBundle } from '../../lib/profile/registry.ts';
import {
  configOf,
  type Container,
  type PodOut,
  proxyOf,
  webhook,
} from '../../harness/support/injected-pods.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

describe('profiles', () => {
  it('are the four releases, istio-1.30 by default', () => {
    assert.deepEqual(PROFILE_NAMES, ['istio-1.28', 'istio-1.29', 'istio-1.30', 'istio-master']);
    assert.equal(DEFAULT_PROFILE, 'istio-1.30');
    assert.equal(DEFAULT_BUNDLE.profile, 'istio-1.30');
    for (const name of PROFILE_NAMES) assert.equal(profileBundle(name).profile, name);
  });

  it('an unknown profile is refused naming the known ones, at the top level and in an overlay', () => {
    const known = 'known profiles: istio-1.28, istio-1.29, istio-1.30, istio-master';
    assert.throws(() => validateBundle({ profile: 'istio-1.27' }, 'b.yaml'), {
      message: `invalid config bundle b.yaml: profile: unknown profile "istio-1.27"; ${known}`,
    });
    assert.throws(() => validateBundle({ clusters: { east: { profile: 1.28 } } }, 'b.yaml'), {
      message: `invalid config bundle b.yaml: clusters.east.profile: unknown profile 1.28; ${known}`,
    });
    assert.throws(
      () => validateBundle({ revisions: { '1-29': { profile: 'x' } } }, 'b.yaml'),
      /revisions\.1-29\.profile: unknown profile "x"/,
    );
  });

  it("a layer's profile puts every layer over that release, whatever order they came in", () => {
    const tag = { values: { global: { tag: '9.9.9' } } };
    const a = layerBundles(DEFAULT_BUNDLE, tag, { profile: 'istio-1.28' });
    const b = layerBundles(layerBundles(DEFAULT_BUNDLE, tag), { profile: 'istio-1.28' });
    for (const bundle of [a, b]) {
      assert.equal(bundle.profile, 'istio-1.28');
      assert.equal((bundle.values.global as { tag: string }).tag, '9.9.9');
      assert.equal((bundle.values.global as { hub: string }).hub, 'docker.io/istio');
      assert.equal(bundle.templates.sidecar, profileBundle('istio-1.28').templates.sidecar);
    }
    assert.equal(DEFAULT_BUNDLE.profile, 'istio-1.30', 'the embedded profiles are never written to');
  });

  it('per cluster: clusters.<id>.profile serves that cluster its release with the shared settings', async () => {
    const bundle = layerBundles(
      DEFAULT_BUNDLE,
      validateBundle(
        { values: { global: { hub: 'shared.example/istio' } }, clusters: { old: { profile: 'istio-1.28' } } },
        'b',
      ),
    );
    const lookup = clusterConfigs(bundle, 'b');
    const old = proxyOf(await webhook(lookup('old'), deploymentPod()));
    const now = proxyOf(await webhook(lookup('new'), deploymentPod()));
    // The shared hub, each release's own tag.
    assert.equal(old.image, 'shared.example/istio/proxyv2:1.28.10');
    assert.equal(now.image, 'shared.example/istio/proxyv2:1.30.3');
    // 1.28 names no divisor (Go writes "0"); 1.30 has GOMAXPROCS with divisor "1".
    const cpu = (c: Container) =>
      (c.env as { name: string; valueFrom?: { resourceFieldRef?: { divisor?: string } } }[]).find(
        (e) => e.name === 'ISTIO_CPU_LIMIT',
      )?.valueFrom?.resourceFieldRef?.divisor;
    assert.equal(cpu(old), '0');
    assert.equal(cpu(now), '1');
    assert.equal(lookup('old').bundle.profile, 'istio-1.28');
    assert.equal(lookup('old').bundle.clusters, undefined);
  });

  it('releases differ where their templates do: the init image and the canonical name', async () => {
    const pod = deploymentPod('web', { labels: { app: 'web-' } });
    const values = { global: { proxy_init: { image: 'proxyInitTest' } } };
    const init = (p: PodOut) => (p.spec.initContainers ?? []).find((c) => c.name === 'istio-init');
    const master = await webhook(configOf('istio-master', { values }), pod);
    const r130 = await webhook(configOf('istio-1.30', { values }), pod);
    assert.equal(init(master)?.image, 'registry.istio.io/testing/proxyInitTest:latest');
    assert.equal(init(r130)?.image, 'docker.io/istio/proxyv2:1.30.3', '1.30 runs the proxy image');
    const messy = deploymentPod('web', { labels: { app: 'web_-' } });
    assert.equal(
      (await webhook(configOf('istio-master'), messy)).metadata.labels?.['service.istio.io/canonical-name'],
      'web',
    );
    assert.equal(
      (await webhook(configOf('istio-1.30'), messy)).metadata.labels?.['service.istio.io/canonical-name'],
      'web_',
    );
  });
});
