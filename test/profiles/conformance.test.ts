import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { applyPatch } from 'rfc6902';
import { handleReview } from '../../lib/admission/handle-review.ts';
import { kubeInject } from '../../lib/cli/kube-inject.ts';
import type { JsonObject } from '../../lib/json.ts';
import {
  CONFORMANCE_CASES,
  configFor,
  normalise,
  podsOf,
  readDocs,
} from '../../harness/support/conformance.ts';
import { CASES, review } from '../../harness/support/reviews.ts';

describe("Istio's golden cases", () => {
  it('covers all 22 cases', () => assert.equal(CONFORMANCE_CASES.length, 22));

  for (const c of CONFORMANCE_CASES) {
    const config = configFor(c);
    it(`kube-inject ${c.input} → ${c.golden}`, () => {
      const text = readFileSync(new URL(c.input, CASES), 'utf8');
      const got = yaml
        .loadAll(kubeInject(text, config, { revision: '' }).output)
        .filter(Boolean) as JsonObject[];
      assert.deepEqual(
        got.map((d) => normalise(d)),
        readDocs(c.golden).map((d) => normalise(d)),
      );
    });

    if (c.webhook === false) continue;
    it(`webhook ${c.input} → ${c.golden}`, async () => {
      const inputs = readDocs(c.input).flatMap(podsOf);
      const wants = readDocs(c.golden).flatMap(podsOf);
      assert.equal(inputs.length, wants.length);
      for (const [i, pod] of inputs.entries()) {
        const { review: out } = await handleReview(review(pod), '/inject', {
          revision: 'default',
          config: async () => config,
        });
        const response = out.response as { allowed: boolean; patch?: string; status?: { message: string } };
        assert.equal(response.allowed, true, response.status?.message);
        const got = structuredClone(pod);
        if (response.patch) {
          const errors = applyPatch(got, JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')));
          assert.deepEqual(errors.filter(Boolean), []);
        }
        assert.deepEqual(normalise(got), normalise(wants[i]));
      }
    });
  }

  it('rejects a bad includeOutboundIPRanges annotation on both paths, naming it', async () => {
    const file = 'traffic-annotations-bad-includeipranges.yaml';
    const config = configFor({ input: file, golden: file });
    const text = readFileSync(new URL(file, CASES), 'utf8');
    assert.throws(() => kubeInject(text, config, { revision: '' }), /includeIPRanges/);
    const [pod] = readDocs(file).flatMap(podsOf);
    const { review: out } = await handleReview(review(pod), '/inject', {
      revision: 'default',
      config: async () => config,
    });
    const response = out.response as { allowed: boolean; status: { message: string } };
    assert.equal(response.allowed, false);
    assert.match(
      response.status.message,
      /traffic\.sidecar\.istio\.io\/includeOutboundIPRanges.*includeIPRanges/,
    );
  });
});
