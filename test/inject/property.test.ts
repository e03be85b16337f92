// Properties of the injector over generated pods (harness/support/pod-arbitraries.ts), in process, with a
// fixed seed so every run checks the same 10,000+ pods. OUTRIGGER_PROPERTY_SCALE=0.1 runs a tenth.
//
// A failure prints fast-check's shrunk counterexample and the seed/path to replay it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { handleReview } from '../../lib/admission/handle-review.ts';
import { loadLocalConfig } from '../../lib/config/static-config.ts';
import { createHandler } from '../../lib/http/handle.ts';
import {
  applyAnswerPatch,
  deepEqual,
  podProblem,
  userContainersKept,
} from '../../harness/support/answer-check.ts';
import { type GeneratedPod, podArbitrary } from '../../harness/support/pod-arbitraries.ts';
import { review } from '../../harness/support/reviews.ts';

const SEED = 20_261_122;
const SCALE = Number(process.env.OUTRIGGER_PROPERTY_SCALE ?? 1);
const runs = (n: number) => Math.max(10, Math.round(n * SCALE));

const config = loadLocalConfig([]);
const settings = { revision: '', config: async () => config };

type Response = { uid: string; allowed: boolean; patch?: string; status?: { message?: string } };

async function admit(
  g: GeneratedPod,
  uid = 'prop-uid',
): Promise<{ text: string; response: Response; body: Buffer }> {
  const body = Buffer.from(JSON.stringify(review(g.pod, { uid, namespace: g.namespace })));
  const { review: answer } = await handleReview(JSON.parse(body.toString('utf8')), '/inject', settings);
  const text = JSON.stringify(answer);
  return { text, response: (answer as { response: Response }).response, body };
}

/** A refusal must be something the pod's author can act on: it names an annotation or a template. */
const ACTIONABLE = /annotation|template/i;
const JS_ERROR =
  /is not a function|is not iterable|Cannot read properties|Cannot convert|undefined|\[object /;

function byName(list: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const item of Array.isArray(list) ? list : []) out.set((item as { name: string }).name, item);
  return out;
}

describe('injection properties over generated pods', () => {
  it('generated pods are valid Pods (the generator is sound)', () => {
    fc.assert(
      fc.property(podArbitrary, (g) => {
        assert.equal(podProblem(g.pod), undefined);
      }),
      { seed: SEED, numRuns: runs(300) },
    );
  });

  it('every answer is sound: a patch that applies (rfc6902) and gives a valid Pod with the user containers and volumes untouched, under 10,000 operations; or a refusal naming an annotation or template', async (t) => {
    const seen = { injected: 0, skipped: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(podArbitrary, async (g) => {
        const { response, body } = await admit(g);
        assert.equal(response.uid, 'prop-uid');
        seen[!response.allowed ? 'refused' : response.patch === undefined ? 'skipped' : 'injected']++;
        if (!response.allowed) {
          const message = response.status?.message ?? '';
          assert.ok(message.length > 0, 'a refusal has a message');
          assert.match(message, ACTIONABLE, 'the refusal names an annotation or template');
          assert.doesNotMatch(message, JS_ERROR, 'the refusal is not a JavaScript error');
          return;
        }
        if (response.patch === undefined) return;
        const { patched } = applyAnswerPatch(response, body);
        const problem = podProblem(patched);
        assert.equal(problem, undefined, `the patched pod is not a valid Pod: ${problem}`);
        const kept = userContainersKept(g.pod, patched);
        assert.equal(kept, undefined, kept);
        const spec = g.pod.spec as Record<string, unknown>;
        const after = patched.spec as Record<string, unknown>;
        for (const field of ['volumes', 'initContainers'] as const) {
          const now = byName(after[field]);
          for (const [name, item] of byName(spec[field])) {
            assert.ok(deepEqual(now.get(name), item), `user ${field} item "${name}" changed`);
          }
        }
      }),
      { seed: SEED, numRuns: runs(5000) },
    );
    t.diagnostic(`answers: ${JSON.stringify(seen)}`);
    // Not vacuous: most generated pods get injected, and every kind of answer occurs.
    const total = seen.injected + seen.skipped + seen.refused;
    assert.ok(seen.injected >= total * 0.4, JSON.stringify(seen));
    assert.ok(seen.skipped > 0 && seen.refused > 0, JSON.stringify(seen));
  });

  it('re-injecting an injected pod is a no-op: no patch, or one that leaves the pod as it is', async () => {
    await fc.assert(
      fc.asyncProperty(podArbitrary, async (g) => {
        const first = await admit(g);
        fc.pre(first.response.allowed && first.response.patch !== undefined);
        const { patched } = applyAnswerPatch(first.response, first.body);
        const again = await admit({ pod: patched, namespace: g.namespace }, 'prop-uid-2');
        assert.equal(again.response.allowed, true, again.response.status?.message);
        if (again.response.patch === undefined) return;
        const { patched: twice } = applyAnswerPatch(again.response, again.body);
        assert.ok(deepEqual(twice, patched), 'the second injection changed the pod');
      }),
      { seed: SEED + 1, numRuns: runs(2000) },
    );
  });

  it('the same review gives byte-identical answers, and the input is not modified', async () => {
    await fc.assert(
      fc.asyncProperty(podArbitrary, async (g) => {
        const before = JSON.stringify(g.pod);
        const input = review(g.pod, { uid: 'same', namespace: g.namespace });
        const a = JSON.stringify((await handleReview(input, '/inject', settings)).review);
        const b = JSON.stringify((await handleReview(structuredClone(input), '/inject', settings)).review);
        assert.equal(a, b);
        assert.equal(JSON.stringify(g.pod), before, 'handleReview modified its input');
      }),
      { seed: SEED + 2, numRuns: runs(2000) },
    );
  });

  it('a replica answered from the result cache gets the bytes a fresh injection gives', async () => {
    const shared = createHandler(settings);
    const call = (handle: typeof shared, g: GeneratedPod, uid: string, name: string) => {
      const pod = structuredClone(g.pod) as { metadata: Record<string, unknown> };
      if (pod.metadata.generateName) pod.metadata.name = name;
      const text = JSON.stringify(review(pod, { uid, namespace: g.namespace }));
      return handle({
        method: 'POST',
        path: '/inject',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(text),
      });
    };
    await fc.assert(
      fc.asyncProperty(podArbitrary, async (g) => {
        await call(shared, g, 'replica-1', 'replica-a');
        const cached = await call(shared, g, 'replica-2', 'replica-b');
        const fresh = await call(createHandler(settings), g, 'replica-2', 'replica-b');
        assert.equal(cached.body, fresh.body);
      }),
      { seed: SEED + 3, numRuns: runs(1000) },
    );
  });
});
