import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROXY_CONTAINER, reorderContainers, reorderInitContainers } from '../../lib/finish/reorder.ts';
import type { Container } from '../../lib/kube/types.ts';

const named = (...names: string[]): Container[] => names.map((name) => ({ name, image: `${name}:1` }));
const names = (list: Container[]) => list.map((c) => c.name);

describe('reorderContainers', () => {
  it('names the proxy container istio-proxy', () => {
    assert.equal(PROXY_CONTAINER, 'istio-proxy');
  });

  it('moves istio-proxy last, keeping the order of the others', () => {
    const out = reorderContainers(named('istio-proxy', 'app', 'helper'), false);
    assert.deepEqual(names(out), ['app', 'helper', 'istio-proxy']);
  });

  it('moves istio-proxy first when the application must wait for it (hold)', () => {
    const out = reorderContainers(named('app', 'istio-proxy', 'helper'), true);
    assert.deepEqual(names(out), ['istio-proxy', 'app', 'helper']);
  });

  it('moves the containers whole and leaves the input list as it was', () => {
    const input = named('istio-proxy', 'app');
    const out = reorderContainers(input, false);
    assert.deepEqual(out, [
      { name: 'app', image: 'app:1' },
      { name: 'istio-proxy', image: 'istio-proxy:1' },
    ]);
    assert.equal(out[1], input[0]);
    assert.deepEqual(names(input), ['istio-proxy', 'app']);
  });

  it('leaves a list without istio-proxy in its order', () => {
    assert.deepEqual(names(reorderContainers(named('b', 'a'), false)), ['b', 'a']);
    assert.deepEqual(names(reorderContainers(named('b', 'a'), true)), ['b', 'a']);
    assert.deepEqual(reorderContainers([], true), []);
  });
});

describe('reorderInitContainers', () => {
  it("classic: istio-validation first, the pod's own init containers, then istio-init and enable-core-dump", () => {
    const out = reorderInitContainers(
      named('enable-core-dump', 'istio-init', 'migrate', 'istio-validation', 'seed'),
    );
    assert.deepEqual(names(out), ['istio-validation', 'migrate', 'seed', 'istio-init', 'enable-core-dump']);
  });

  it("native (istio-proxy among the init containers): istio-init, istio-validation, istio-proxy, enable-core-dump, then the pod's own", () => {
    const out = reorderInitContainers(
      named('migrate', 'enable-core-dump', 'istio-proxy', 'seed', 'istio-validation', 'istio-init'),
    );
    assert.deepEqual(names(out), [
      'istio-init',
      'istio-validation',
      'istio-proxy',
      'enable-core-dump',
      'migrate',
      'seed',
    ]);
  });

  it('native with only some of the injected init containers present', () => {
    const out = reorderInitContainers(named('migrate', 'istio-proxy', 'istio-init'));
    assert.deepEqual(names(out), ['istio-init', 'istio-proxy', 'migrate']);
  });

  it("leaves the pod's own init containers alone when none of the injected ones is there", () => {
    assert.deepEqual(names(reorderInitContainers(named('c', 'a', 'b'))), ['c', 'a', 'b']);
  });

  it('keeps every container, whole', () => {
    const input = named('istio-init', 'migrate', 'istio-validation');
    const out = reorderInitContainers(input);
    assert.equal(out.length, 3);
    assert.deepEqual(out, [
      { name: 'istio-validation', image: 'istio-validation:1' },
      { name: 'migrate', image: 'migrate:1' },
      { name: 'istio-init', image: 'istio-init:1' },
    ]);
    assert.deepEqual(names(input), ['istio-init', 'migrate', 'istio-validation']);
  });
});
