// The AdmissionReview answer's text: reviewText splices the base64 patch in instead of letting
// JSON.stringify scan it, and must still give JSON.stringify's bytes for every answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { base64Json, encodeReview, reviewText, V1, V1BETA1 } from '../../lib/admission/review.ts';

describe('base64Json', () => {
  it('is the base64 of the UTF-8 of JSON.stringify, ASCII or not', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        for (const v of [value, text, [text, value]])
          assert.equal(base64Json(v), Buffer.from(JSON.stringify(v)).toString('base64'));
      }),
      { seed: 20_261_201, numRuns: 2000 },
    );
    assert.equal(base64Json('é\u2028😀\ud800'), Buffer.from('"é\u2028😀\\ud800"').toString('base64'));
  });
});

describe('reviewText', () => {
  it('is JSON.stringify of every answer: any uid, with or without a patch, message or warnings', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(V1, V1BETA1),
        fc.string({ unit: 'grapheme' }),
        fc.boolean(),
        fc.option(fc.jsonValue(), { nil: undefined }),
        fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
        fc.option(fc.array(fc.string(), { maxLength: 2 }), { nil: undefined }),
        (version, uid, allowed, patch, message, warnings) => {
          const review = encodeReview(version, uid, {
            allowed,
            ...(patch !== undefined && { patch: base64Json(patch) }),
            ...(message !== undefined && { message }),
            ...(warnings !== undefined && { warnings }),
          });
          assert.equal(reviewText(review), JSON.stringify(review));
        },
      ),
      { seed: 20_261_201, numRuns: 2000 },
    );
  });

  it('reads back the patch it was given', () => {
    const ops = [{ op: 'add', path: '/spec/containers/-', value: { name: 'istio-proxy', args: ['"\\'] } }];
    const answer = JSON.parse(reviewText(encodeReview(V1, 'u', { allowed: true, patch: base64Json(ops) })));
    assert.deepEqual(JSON.parse(Buffer.from(answer.response.patch, 'base64').toString('utf8')), ops);
    assert.equal(answer.response.patchType, 'JSONPatch');
  });
});
