import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findContainer, mapContainers } from '../../lib/kube/map-containers.ts';
import type { Pod } from '../../lib/kube/types.ts';

describe('mapContainers', () => {
  it('applies the function to every init container and container, keeping the rest of the pod', () => {
    const pod: Pod = {
      metadata: { name: 'p' },
      spec: {
        initContainers: [{ name: 'init' }],
        containers: [{ name: 'a' }, { name: 'b' }],
        volumes: [{ name: 'v' }],
      },
    };
    const out = mapContainers(pod, (c) => ({ ...c, image: `${c.name}:2` }));
    assert.deepEqual(out, {
      metadata: { name: 'p' },
      spec: {
        initContainers: [{ name: 'init', image: 'init:2' }],
        containers: [
          { name: 'a', image: 'a:2' },
          { name: 'b', image: 'b:2' },
        ],
        volumes: [{ name: 'v' }],
      },
    });
  });

  it('leaves absent lists absent', () => {
    const out = mapContainers({ spec: { containers: [{ name: 'a' }] } }, (c) => c);
    assert.deepEqual(out, { spec: { containers: [{ name: 'a' }] } });
    assert.equal(Object.hasOwn(out.spec ?? {}, 'initContainers'), false);
  });

  it('does not modify the pod it is given', () => {
    const pod: Pod = { spec: { initContainers: [{ name: 'i' }], containers: [{ name: 'a' }] } };
    const before = structuredClone(pod);
    const out = mapContainers(pod, (c) => ({ ...c, name: `${c.name}-x` }));
    assert.deepEqual(pod, before);
    assert.notEqual(out.spec, pod.spec);
  });
});

describe('findContainer', () => {
  const pod: Pod = {
    spec: {
      initContainers: [{ name: 'istio-proxy', image: 'init' }, { name: 'setup' }],
      containers: [{ name: 'app' }, { name: 'istio-proxy', image: 'main' }],
    },
  };

  it('finds a container by name, among the containers first, then the init containers', () => {
    assert.deepEqual(findContainer(pod, 'istio-proxy'), { name: 'istio-proxy', image: 'main' });
    assert.deepEqual(findContainer(pod, 'setup'), { name: 'setup' });
    assert.deepEqual(findContainer(pod, 'app'), { name: 'app' });
  });

  it('is undefined for a name no container has, or a pod without containers', () => {
    assert.equal(findContainer(pod, 'nope'), undefined);
    assert.equal(findContainer({}, 'app'), undefined);
    assert.equal(findContainer({ spec: {} }, 'app'), undefined);
  });
});
