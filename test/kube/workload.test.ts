import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { kubeInject } from '../../lib/cli/kube-inject.ts';
import { configOf, env, type PodOut, proxyOf } from '../../harness/support/injected-pods.ts';

describe('fixed differences from Istio', () => {
  it('kube-inject of a bare Pod owned by a custom controller takes the workload from the owner', () => {
    const owner = 'helloworld-helloworld-helloworld-helloworld-helloworld-hellowo-ld';
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  generateName: helloworld-
  name: helloworld-helloworld
  ownerReferences:
  - {apiVersion: foo/v1, controller: true, kind: Bar, name: ${owner}, uid: u}
spec:
  containers: [{name: hello, image: hello}]
`;
    for (const [profile, canonical] of [
      ['istio-master', owner.slice(0, 63).replace(/[-_.]+$/, '')],
      ['istio-1.30', owner.slice(0, 63).replace(/-$/, '')],
    ] as const) {
      const [pod] = yaml.loadAll(
        kubeInject(manifest, configOf(profile), { revision: '' }).output,
      ) as PodOut[];
      assert.ok(pod);
      assert.equal(owner.length, 65);
      assert.equal(pod.metadata.labels?.['service.istio.io/canonical-name'], canonical, profile);
      const proxy = proxyOf(pod);
      assert.equal(env(proxy, 'ISTIO_META_WORKLOAD_NAME'), owner);
      assert.equal(
        env(proxy, 'ISTIO_META_OWNER'),
        `kubernetes://apis/foo/v1/namespaces/default/bars/${owner}`,
      );
    }
  });
});
