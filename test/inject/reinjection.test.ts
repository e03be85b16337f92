import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch } from 'rfc6902';
import { handleReview } from '../../lib/admission/handle-review.ts';
import type { InjectorConfig } from '../../lib/config/compile.ts';
import type { JsonObject } from '../../lib/json.ts';
import { CONFORMANCE_CASES, configFor, podsOf, readDocs } from '../../harness/support/conformance.ts';
import { review } from '../../harness/support/reviews.ts';

async function inject(pod: JsonObject, config: InjectorConfig) {
  const { review: out } = await handleReview(review(pod), '/inject', {
    revision: 'default',
    config: async () => config,
  });
  const response = out.response as { allowed: boolean; patch?: string; status?: { message: string } };
  assert.equal(response.allowed, true, response.status?.message);
  const ops = response.patch ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) : [];
  const patched = structuredClone(pod);
  assert.deepEqual(applyPatch(patched, ops).filter(Boolean), []);
  return { pod: patched, ops };
}

// With reinvocationPolicy IfNeeded the API server may call the webhook again with the injected pod:
// that second call must change nothing. merge-probers.yaml is left out: its input was injected by an
// older, classic-layout Istio, whose proxy Istio itself re-applies as a user override on the first pass.
describe('re-injecting an injected pod is a no-op', () => {
  for (const c of CONFORMANCE_CASES.filter((x) => x.webhook !== false && x.input !== 'merge-probers.yaml')) {
    it(c.golden, async () => {
      const config = configFor(c);
      for (const pod of readDocs(c.input).flatMap(podsOf)) {
        const once = await inject(pod, config);
        const twice = await inject(once.pod, config);
        assert.deepEqual(twice.ops, [], 'the second pass patches nothing');
      }
    });
  }

  it('keeps user overrides across re-injection (proxy.istio.io/overrides)', async () => {
    const c = CONFORMANCE_CASES.find((x) => x.input === 'proxy-override.yaml');
    assert.ok(c);
    const [pod] = readDocs(c.input).flatMap(podsOf);
    assert.ok(pod);
    const once = await inject(pod, configFor(c));
    const init = (once.pod.spec as { initContainers: { name: string; args: string[] }[] }).initContainers;
    assert.deepEqual(init.find((x) => x.name === 'istio-init')?.args, ['my', 'custom', 'args']);
    assert.ok(
      (once.pod.metadata as { annotations: Record<string, string> }).annotations['proxy.istio.io/overrides'],
    );
  });
});
