import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overwriteClusterEnv } from '../../lib/finish/cluster-env.ts';
import type { Pod } from '../../lib/kube/types.ts';

describe('overwriteClusterEnv', () => {
  it('replaces same-named proxy env vars and appends the URL env last, sorted by name', () => {
    const pod: Pod = {
      spec: {
        containers: [
          {
            name: 'istio-proxy',
            env: [
              { name: 'A', value: '1' },
              { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
              { name: 'ISTIO_META_NETWORK', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'B', value: '2' },
            ],
          },
        ],
      },
    };
    const out = overwriteClusterEnv(pod, {
      ISTIO_META_NETWORK: 'net1',
      ISTIO_META_CLUSTER_ID: 'cluster1',
      EXTRA: 'x',
    });
    assert.deepEqual(out.spec?.containers?.[0]?.env, [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
      { name: 'EXTRA', value: 'x' },
      { name: 'ISTIO_META_CLUSTER_ID', value: 'cluster1' },
      { name: 'ISTIO_META_NETWORK', value: 'net1' },
    ]);
  });

  it('changes only istio-proxy, wherever it runs, and gives it env when it had none', () => {
    const app = { name: 'app', env: [{ name: 'ISTIO_META_CLUSTER_ID', value: 'mine' }] };
    const pod: Pod = { spec: { initContainers: [{ name: 'istio-proxy' }], containers: [app] } };
    const out = overwriteClusterEnv(pod, { ISTIO_META_CLUSTER_ID: 'c1' });
    assert.deepEqual(out, {
      spec: {
        initContainers: [{ name: 'istio-proxy', env: [{ name: 'ISTIO_META_CLUSTER_ID', value: 'c1' }] }],
        containers: [{ name: 'app', env: [{ name: 'ISTIO_META_CLUSTER_ID', value: 'mine' }] }],
      },
    });
  });

  it('changes nothing without URL env', () => {
    const pod: Pod = { spec: { containers: [{ name: 'istio-proxy', env: [{ name: 'A', value: '1' }] }] } };
    assert.deepEqual(overwriteClusterEnv(pod, {}), {
      spec: { containers: [{ name: 'istio-proxy', env: [{ name: 'A', value: '1' }] }] },
    });
  });

  it('does not modify the pod it is given', () => {
    const pod: Pod = {
      spec: { containers: [{ name: 'istio-proxy', env: [{ name: 'ISTIO_META_NETWORK', value: 'old' }] }] },
    };
    const before = structuredClone(pod);
    overwriteClusterEnv(pod, { ISTIO_META_NETWORK: 'new' });
    assert.deepEqual(pod, before);
  });
});
