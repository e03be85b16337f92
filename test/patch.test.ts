import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch } from 'rfc6902';
import { createPatch } from '../lib/patch/create-patch.ts';

describe('JSON patch', () => {
  it('escapes / in keys as ~1 and ~ as ~0', () => {
    const ops = createPatch(
      { metadata: { annotations: {} } },
      { metadata: { annotations: { 'sidecar.istio.io/status': 'x', 'a~b': 'y' } } },
    );
    assert.deepEqual(
      ops.map((o) => o.path),
      ['/metadata/annotations/sidecar.istio.io~1status', '/metadata/annotations/a~0b'],
    );
  });

  it('adds a missing parent whole, so the patch applies to a pod without annotations', () => {
    const before = { metadata: { name: 'p' } };
    const after = { metadata: { name: 'p', annotations: { 'a/b': 'c' } } };
    const ops = createPatch(before, after);
    assert.deepEqual(ops, [{ op: 'add', path: '/metadata/annotations', value: { 'a/b': 'c' } }]);
    const target = structuredClone(before);
    assert.deepEqual(applyPatch(target, ops as never).filter(Boolean), []);
    assert.deepEqual(target, after);
  });

  it('gives byte-identical patches for the same input', () => {
    const before = { spec: { containers: [{ name: 'a' }] } };
    const after = {
      spec: { containers: [{ name: 'istio-proxy' }, { name: 'a' }], volumes: [{ name: 'v' }] },
    };
    assert.equal(
      JSON.stringify(createPatch(before, after)),
      JSON.stringify(createPatch(structuredClone(before), structuredClone(after))),
    );
  });
});
