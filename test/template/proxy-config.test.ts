import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROFILE_NAMES } from '../../lib/profile/registry.ts';
import { configOf, env, proxyOf, webhook } from '../../harness/support/injected-pods.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

describe('fixed differences from Istio', () => {
  it('a mesh tracing.zipkin.address is in PROXY_CONFIG, in every release', async () => {
    const mesh = { defaultConfig: { tracing: { zipkin: { address: 'zipkin.istio-system:9411' } } } };
    for (const profile of PROFILE_NAMES) {
      const proxy = proxyOf(await webhook(configOf(profile, { mesh }), deploymentPod()));
      assert.equal(
        env(proxy, 'PROXY_CONFIG'),
        '{"tracing":{"zipkin":{"address":"zipkin.istio-system:9411"}}}\n',
        profile,
      );
    }
  });
});
