import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answer } from '../../harness/support/injected-pods.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

describe('hardening against hostile input', () => {
  it('a template named a thousand times is rendered once, with the same result as once', async () => {
    const many = await answer(
      deploymentPod('a', {
        annotations: { 'inject.istio.io/templates': Array(1000).fill('sidecar').join(',') },
      }),
    );
    const once = await answer(
      deploymentPod('a', { annotations: { 'inject.istio.io/templates': 'sidecar' } }),
    );
    assert.equal(many.allowed, true);
    const ops = (r: typeof many) =>
      JSON.parse(Buffer.from(r.patch ?? '', 'base64').toString()) as { path: string; value?: unknown }[];
    // Only the annotation that lists the names differs.
    assert.deepEqual(
      ops(many).map((o) => o.path),
      ops(once).map((o) => o.path),
    );
  });
});
