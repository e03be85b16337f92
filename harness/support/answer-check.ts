// Checks a webhook answer against an expectation of harness/support/bad-inputs.ts; shared by the bad-input
// and property tests. Every check works on pods nested 10,000 deep (no recursion over user data).
import assert from 'node:assert/strict';
import { Pod } from 'kubernetes-models/v1';
import { applyPatch } from 'rfc6902';
import type { BadRequest, Expected } from './bad-inputs.ts';
import { ROOT } from './spawn-server.ts';

export const PATCH_OP_LIMIT = 10_000;
const STACK_TRACE = new RegExp(
  `\\n\\s+at .+:\\d+:\\d+|node_modules/|${ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
);

export interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
  ms: number;
}

/** Structural equality without recursion (an explicit stack), so 10,000-deep values compare. */
export function deepEqual(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop() as [unknown, unknown];
    if (Object.is(x, y)) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.hasOwn(y, k)) return false;
      stack.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]]);
    }
  }
  return true;
}

/**
 * The body as the webhook reads it (UTF-8 with replacement characters, a leading BOM ignored as
 * body-parser does), or undefined if not JSON.
 */
export function sentJson(body: Buffer): any {
  try {
    return JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

export interface PatchResult {
  ops: { op: string; path: string }[];
  patched: any;
}

/** Decodes the base64 JSONPatch of an answer and applies it (rfc6902) to a fresh copy of the object sent. */
export function applyAnswerPatch(response: { patch?: unknown }, sentBody: Buffer): PatchResult {
  assert.equal(typeof response.patch, 'string', 'the answer has a base64 patch');
  const ops = JSON.parse(Buffer.from(response.patch as string, 'base64').toString('utf8'));
  assert.ok(Array.isArray(ops), 'the patch is a JSON list of operations');
  assert.ok(ops.length < PATCH_OP_LIMIT, `the patch has ${ops.length} operations; Kubernetes allows 10,000`);
  const patched = sentJson(sentBody)?.request?.object;
  const errors = applyPatch(patched, ops).filter((e) => e !== null);
  assert.deepEqual(
    errors.map((e) => `${e.name}: ${e.message}`),
    [],
    'every operation applies to request.object as sent',
  );
  return { ops, patched };
}

/** The user's containers after injection are exactly those sent (the proxy aside), in order. */
export function userContainersKept(sent: any, patched: any): string | undefined {
  const before = Array.isArray(sent?.spec?.containers) ? sent.spec.containers : [];
  const after = (Array.isArray(patched?.spec?.containers) ? patched.spec.containers : []).filter(
    (c: any) => c?.name !== 'istio-proxy',
  );
  return deepEqual(before, after) ? undefined : 'the user containers changed';
}

/** Kubernetes Pod schema check (kubernetes-models, k8s 1.27); returns the problem or undefined. */
export function podProblem(pod: unknown): string | undefined {
  try {
    new Pod(pod as never).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function matches(actual: string, want: string | RegExp): boolean {
  return typeof want === 'string' ? actual === want : want.test(actual);
}

/** Asserts `answer` is what `expect` documents for `req`. */
export function checkAnswer(expect: Expected, req: BadRequest, answer: Answer): void {
  const text = answer.body.toString('utf8');
  const show = text.length > 600 ? `${text.slice(0, 600)}...` : text;
  assert.doesNotMatch(text, STACK_TRACE, 'no stack trace or file path in the answer');

  if (expect.kind === 'http') {
    assert.equal(answer.status, expect.status, show);
    const want = typeof expect.text === 'function' ? expect.text(req.body) : expect.text;
    assert.ok(matches(text, want), `answer ${JSON.stringify(show)} does not match ${String(want)}`);
    return;
  }

  assert.equal(answer.status, 200, show);
  assert.match(answer.contentType, /^application\/json/);
  const review = JSON.parse(text);
  const sent = sentJson(req.body);
  const sentVersion =
    sent?.apiVersion === 'admission.k8s.io/v1' ? 'admission.k8s.io/v1' : 'admission.k8s.io/v1beta1';
  const sentUid = typeof sent?.request?.uid === 'string' ? sent.request.uid : '';
  assert.equal(review.kind, 'AdmissionReview');
  const response = review.response;
  assert.equal(typeof response, 'object', 'an AdmissionReview response');

  if (expect.kind === 'refused') {
    assert.equal(review.apiVersion, expect.apiVersion ?? sentVersion);
    assert.equal(response.uid, expect.uid ?? sentUid);
    assert.equal(response.allowed, false, `expected a refusal, got ${show}`);
    assert.equal(response.patch, undefined);
    const message = response.status?.message;
    assert.equal(typeof message, 'string', 'the refusal has a message');
    assert.ok(
      matches(message, expect.message),
      `message ${JSON.stringify(message)} does not match ${String(expect.message)}`,
    );
    return;
  }

  assert.equal(review.apiVersion, expect.apiVersion ?? sentVersion);
  assert.equal(response.uid, sentUid);
  assert.equal(response.allowed, true, `expected allowed, got ${show}`);
  if (expect.kind === 'unchanged') {
    assert.equal(response.patch, undefined, 'no patch');
    return;
  }
  assert.equal(response.patchType, 'JSONPatch');
  const { patched } = applyAnswerPatch(response, req.body);
  const sentPod = sentJson(req.body).request.object;
  const kept = userContainersKept(sentPod, patched);
  assert.equal(kept, undefined, kept);
  if (expect.validPod) {
    const problem = podProblem(patched);
    assert.equal(problem, undefined, `the patched pod is not a valid Pod: ${problem}`);
  }
  const extra = expect.check?.(patched, sentPod);
  assert.equal(extra, undefined, extra);
}
