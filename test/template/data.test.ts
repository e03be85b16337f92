import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layerBundles, validateBundle } from '../../lib/config/bundle.ts';
import { clusterConfigs } from '../../lib/config/cluster-configs.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { answer, configOf, env, proxyOf, webhook } from '../../harness/support/injected-pods.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

describe('hardening against hostile input', () => {
  it('a pod cannot smuggle merge directives into the sidecar through userVolume/userVolumeMount', async () => {
    const res = await answer(
      deploymentPod('a', {
        annotations: {
          'sidecar.istio.io/userVolume': JSON.stringify({ extra: { emptyDir: {}, $patch: 'delete' } }),
          'sidecar.istio.io/userVolumeMount': JSON.stringify({
            extra: { mountPath: '/data/extra', $patch: 'delete' },
          }),
        },
      }),
    );
    assert.equal(res.allowed, true, res.status?.message);
    const text = Buffer.from(res.patch ?? '', 'base64').toString();
    assert.doesNotMatch(text, /\$patch|[[,]null[,\]]/);
    assert.match(text, /"name":"extra"/);
  });
});

describe('fixed differences from Istio', () => {
  it('FIPS: compliancePolicy gives COMPLIANCE_POLICY (and GODEBUG=fips140=only on master), per cluster too', async () => {
    const fips = { compliancePolicy: 'fips-140-3' };
    const master = proxyOf(await webhook(configOf('istio-master', fips), deploymentPod()));
    assert.equal(env(master, 'COMPLIANCE_POLICY'), 'fips-140-3');
    assert.equal(env(master, 'GODEBUG'), 'fips140=only');
    for (const profile of ['istio-1.28', 'istio-1.29', 'istio-1.30']) {
      const p = proxyOf(await webhook(configOf(profile, fips), deploymentPod()));
      assert.equal(env(p, 'COMPLIANCE_POLICY'), 'fips-140-3', profile);
      assert.equal(env(p, 'GODEBUG'), undefined, profile);
    }
    const gateway = deploymentPod('gw', { annotations: { 'inject.istio.io/templates': 'gateway' } });
    assert.equal(
      env(proxyOf(await webhook(configOf('istio-master', fips), gateway)), 'GODEBUG'),
      'fips140=only',
    );
    assert.equal(
      env(proxyOf(await webhook(configOf('istio-1.30'), deploymentPod())), 'COMPLIANCE_POLICY'),
      undefined,
    );

    const lookup = clusterConfigs(
      layerBundles(DEFAULT_BUNDLE, validateBundle({ clusters: { gov: fips } }, 'b')),
      'b',
    );
    assert.equal(
      env(proxyOf(await webhook(lookup('gov'), deploymentPod())), 'COMPLIANCE_POLICY'),
      'fips-140-3',
    );
    assert.equal(
      env(proxyOf(await webhook(lookup('other'), deploymentPod())), 'COMPLIANCE_POLICY'),
      undefined,
    );
    assert.throws(
      () => validateBundle({ compliancePolicy: true }, 'b'),
      /compliancePolicy: must be a string/,
    );
  });
});
