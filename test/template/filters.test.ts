import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROFILE_NAMES } from '../../lib/profile/registry.ts';
import { appendMultusNetwork } from '../../lib/template/filters.ts';
import { configOf, webhook } from '../../harness/support/injected-pods.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

describe('fixed differences from Istio', () => {
  it('Multus JSON networks: {"name": "istio-cni", "namespace": "default"} appended, and found when present', async () => {
    const net = 'default/istio-cni';
    assert.equal(
      appendMultusNetwork('[{"name": "alt"}]', net),
      '[{"name": "alt"}, {"name": "istio-cni", "namespace": "default"}]',
    );
    for (const present of [
      '[{"name": "istio-cni", "namespace": "default"}]',
      '[{"name":"alt"},{"namespace":"default","name":"istio-cni"}]',
      '[{"name": "default/istio-cni"}]',
    ])
      assert.equal(appendMultusNetwork(present, net), present);
    assert.equal(
      appendMultusNetwork('[{"name": "istio-cni", "namespace": "other"}]', net),
      '[{"name": "istio-cni", "namespace": "other"}, {"name": "istio-cni", "namespace": "default"}]',
    );
    assert.equal(appendMultusNetwork('alt, default/istio-cni', net), 'alt, default/istio-cni');
    assert.equal(appendMultusNetwork('alt', net), 'alt, default/istio-cni');
    assert.equal(appendMultusNetwork('[not json]', net), '[not json]');

    const multus = { values: { pilot: { cni: { enabled: true, provider: 'multus' } } } };
    const pod = deploymentPod('web', {
      annotations: { 'k8s.v1.cni.cncf.io/networks': '[{"name": "istio-cni", "namespace": "default"}]' },
    });
    for (const profile of PROFILE_NAMES) {
      const out = await webhook(configOf(profile, multus), pod);
      assert.equal(
        out.metadata.annotations?.['k8s.v1.cni.cncf.io/networks'],
        '[{"name": "istio-cni", "namespace": "default"}]',
        profile,
      );
    }
  });
});
