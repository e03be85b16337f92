import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../../lib/json.ts';
import { strategicMerge } from '../../lib/merge/strategic.ts';

describe('strategic merge for pods', () => {
  it('merges containers by name, env by name, volumeMounts by mountPath, ports by containerPort', () => {
    const pod = {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'app:1',
            env: [{ name: 'A', value: '1' }],
            ports: [{ containerPort: 80, name: 'http' }],
            volumeMounts: [{ mountPath: '/data', name: 'data' }],
          },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    };
    const patch = {
      spec: {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'B', value: '2' },
              { name: 'A', value: 'changed' },
            ],
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            volumeMounts: [{ mountPath: '/etc/istio', name: 'istio' }],
          },
          { name: 'istio-proxy', image: 'proxy' },
        ],
        volumes: [{ name: 'istio', emptyDir: { medium: 'Memory' } }],
      },
    };
    assert.deepEqual(strategicMerge(pod, patch), {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'app:1',
            env: [
              { name: 'B', value: '2' },
              { name: 'A', value: 'changed' },
            ],
            ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
            volumeMounts: [
              { mountPath: '/etc/istio', name: 'istio' },
              { mountPath: '/data', name: 'data' },
            ],
          },
          { name: 'istio-proxy', image: 'proxy' },
        ],
        volumes: [
          { name: 'istio', emptyDir: { medium: 'Memory' } },
          { name: 'data', emptyDir: {} },
        ],
      },
    });
  });

  it('replaces lists without a merge key (args), deep-merges maps, deletes on null', () => {
    const pod = {
      metadata: { labels: { a: '1', b: '2' }, annotations: { keep: 'x' } },
      spec: { containers: [{ name: 'c', args: ['--a'], resources: { limits: { cpu: '1' } } }] },
    };
    const patch = {
      metadata: { labels: { b: null, c: '3' } },
      spec: { containers: [{ name: 'c', args: ['--b'], resources: { requests: { cpu: '100m' } } }] },
    };
    assert.deepEqual(strategicMerge(pod, patch), {
      metadata: { labels: { a: '1', c: '3' }, annotations: { keep: 'x' } },
      spec: {
        containers: [
          { name: 'c', args: ['--b'], resources: { limits: { cpu: '1' }, requests: { cpu: '100m' } } },
        ],
      },
    });
  });

  it('honours $patch: replace on maps, $patch: delete on list items and a replace marker on lists', () => {
    const pod = {
      metadata: { labels: { a: '1', b: '2' } },
      spec: { volumes: [{ name: 'x' }, { name: 'y' }], imagePullSecrets: [{ name: 's1' }] },
    };
    const patch = {
      metadata: { labels: { $patch: 'replace', only: 'this' } },
      spec: {
        volumes: [{ name: 'x', $patch: 'delete' }],
        imagePullSecrets: [{ $patch: 'replace' }, { name: 's2' }],
      },
    };
    assert.deepEqual(strategicMerge(pod, patch), {
      metadata: { labels: { only: 'this' } },
      spec: { volumes: [{ name: 'y' }], imagePullSecrets: [{ name: 's2' }] },
    });
  });

  it('a null source in a new list item leaves the item without it (Istio volumes with no source)', () => {
    assert.deepEqual(
      strategicMerge({ spec: {} }, { spec: { volumes: [{ name: 'workload-socket', emptyDir: null }] } }),
      {
        spec: { volumes: [{ name: 'workload-socket' }] },
      },
    );
  });

  it('orders like apimachinery: patch order, with a live-only item placed before patch items it preceded live', () => {
    const live = { spec: { volumes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } };
    assert.deepEqual(
      strategicMerge(live, {
        spec: { volumes: [{ name: 'c', x: 1 }, { name: 'new' }, { name: 'a', y: 2 }] },
      }),
      {
        spec: { volumes: [{ name: 'b' }, { name: 'c', x: 1 }, { name: 'new' }, { name: 'a', y: 2 }] },
      },
    );
    assert.deepEqual(strategicMerge(live, { spec: { volumes: [{ name: 'c', x: 1 }] } }), {
      spec: { volumes: [{ name: 'a' }, { name: 'b' }, { name: 'c', x: 1 }] },
    });
  });

  it('never modifies its inputs', () => {
    const pod = { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] } };
    const before = structuredClone(pod);
    strategicMerge(pod, { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '2' }] }] } });
    assert.deepEqual(pod, before);
  });
});

describe('strategicMerge: a merge key shared by several items (one port number for UDP and TCP)', () => {
  const dns = [
    { containerPort: 53, name: 'dns', protocol: 'UDP' },
    { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
  ];
  const pod = (ports: JsonObject[]): JsonObject => ({ spec: { containers: [{ name: 'coredns', ports }] } });

  it('a container merged over itself (an override re-applied) keeps both ports', () => {
    assert.deepEqual(strategicMerge(pod(dns), pod(dns)), pod(dns));
  });

  it('a patch naming the port once merges into the first and keeps the second', () => {
    const merged = strategicMerge(pod(dns), pod([{ containerPort: 53, hostPort: 5353 }]));
    assert.deepEqual(merged, pod([{ ...dns[0], hostPort: 5353 } as JsonObject, dns[1] as JsonObject]));
  });
});

describe('hardening against hostile input', () => {
  it('merges lists with thousands of keyed items (env) without losing or reordering any', () => {
    const env = Array.from({ length: 10_000 }, (_, i) => ({ name: `E${i}`, value: String(i) }));
    const merged = strategicMerge(
      { spec: { containers: [{ name: 'istio-proxy', env }] } },
      {
        spec: {
          containers: [{ name: 'istio-proxy', env: [{ name: 'E9999', value: 'x' }, { name: 'NEW' }] }],
        },
      },
    ) as { spec: { containers: { env: { name: string; value?: string }[] }[] } };
    const out = merged.spec.containers[0]?.env ?? [];
    assert.equal(out.length, 10_001);
    assert.deepEqual(out.slice(0, 2), [
      { name: 'E0', value: '0' },
      { name: 'E1', value: '1' },
    ]);
    assert.deepEqual(out.slice(-2), [{ name: 'E9999', value: 'x' }, { name: 'NEW' }]);
  });
});
