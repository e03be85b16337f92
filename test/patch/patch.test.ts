import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import { applyPatch } from 'rfc6902';
import { loadLocalConfig } from '../../lib/config/static-config.ts';
import { injectPod } from '../../lib/inject/inject-pod.ts';
import type { Json, JsonObject } from '../../lib/json.ts';
import type { Pod } from '../../lib/kube/types.ts';
import { createPatch } from '../../lib/patch/create-patch.ts';
import { CONFORMANCE_CASES, podsOf, readDocs } from '../../harness/support/conformance.ts';
import { podArbitrary } from '../../harness/support/pod-arbitraries.ts';

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

describe('the patch is what fast-json-patch compare gives, without its copies', () => {
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(null, true, false, 0, 1, '', 'a', 'a/b', 'x~y'),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom('a', 'b', 'c/d', 'e~f', '0', '1'), tie('value'), { maxKeys: 4 }),
    ),
  })).value;
  const container = fc.record({ a: json, b: json });

  it('over random documents, byte for byte', () => {
    fc.assert(
      fc.property(container, container, (before, after) => {
        assert.equal(
          JSON.stringify(createPatch(before as Json, after as Json)),
          JSON.stringify(jsonpatch.compare(before, after)),
        );
      }),
      { seed: 20_261_201, numRuns: 5000 },
    );
  });

  it('over every injection of the conformance and generated pods, byte for byte', async () => {
    const config = loadLocalConfig([]);
    const pods = [
      ...CONFORMANCE_CASES.flatMap((c) => readDocs(c.input).flatMap(podsOf)),
      ...fc.sample(podArbitrary, { seed: 20_261_201, numRuns: 300 }).map((g) => g.pod as JsonObject),
    ];
    let injected = 0;
    for (const pod of pods) {
      let outcome: ReturnType<typeof injectPod>;
      try {
        outcome = injectPod(pod as Pod, config, { namespace: 'default', proxyEnvs: {}, revision: '' });
      } catch {
        continue;
      }
      const { managedFields: _, ...meta } = pod.metadata as JsonObject;
      const before = { ...pod, metadata: { ...meta, namespace: 'default' } };
      assert.equal(
        JSON.stringify(createPatch(before, outcome.pod)),
        JSON.stringify(jsonpatch.compare(before, outcome.pod)),
      );
      if (outcome.patch.length) injected++;
    }
    assert.ok(injected > 100, `${injected} injected`);
  });
});
