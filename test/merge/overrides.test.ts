import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROFILE_NAMES } from '../../lib/profile/registry.ts';
import { configOf, proxyOf, webhook } from '../../harness/support/injected-pods.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

describe('fixed differences from Istio', () => {
  it("TPROXY with the user's runAsUser on istio-proxy: istio-init's -u follows it, the proxy runs as root", async () => {
    const pod = deploymentPod('web', { annotations: { 'sidecar.istio.io/interceptionMode': 'TPROXY' } }) as {
      spec: { containers: object[] };
    };
    pod.spec.containers.push({ name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1234 } });
    for (const profile of PROFILE_NAMES) {
      const out = await webhook(configOf(profile), pod);
      const init = out.spec.initContainers?.find((c) => c.name === 'istio-init');
      const args = init?.args ?? [];
      assert.equal(args[args.indexOf('-u') + 1], '1234', profile);
      assert.equal(args[args.indexOf('-m') + 1], 'TPROXY');
      assert.equal(proxyOf(out).securityContext?.runAsUser, 0);
    }
  });
});
