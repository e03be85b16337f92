import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answer } from '../../harness/support/injected-pods.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';
import type { Pod } from '../../lib/kube/types.ts';
import { type KnownTemplates, selectTemplates, TEMPLATES_ANNOTATION } from '../../lib/template/select.ts';

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

describe('selectTemplates', () => {
  const known = (...names: string[]): KnownTemplates => ({
    has: (name) => names.includes(name),
    keys: () => names,
  });
  const templates = known('sidecar', 'grpc-agent', 'extra');
  const pod = (requested?: string): Pod => ({
    metadata: { annotations: requested === undefined ? {} : { [TEMPLATES_ANNOTATION]: requested } },
  });
  const notFound = (name: string) => ({
    name: 'InjectionError',
    code: 'unknown-template',
    message: `requested template "${name}" not found; have extra, grpc-agent, sidecar`,
  });

  it('reads inject.istio.io/templates', () => {
    assert.equal(TEMPLATES_ANNOTATION, 'inject.istio.io/templates');
  });

  it('without the annotation: the bundle defaults in order, or sidecar when there are none', () => {
    assert.deepEqual(selectTemplates(pod(), [], {}, templates), ['sidecar']);
    assert.deepEqual(selectTemplates({}, [], {}, templates), ['sidecar']);
    assert.deepEqual(selectTemplates(pod(), ['extra', 'sidecar'], {}, templates), ['extra', 'sidecar']);
  });

  it('the annotation replaces the defaults: a comma list, each name trimmed, in its order', () => {
    assert.deepEqual(selectTemplates(pod(' extra ,sidecar'), ['grpc-agent'], {}, templates), [
      'extra',
      'sidecar',
    ]);
  });

  it('expands an alias one level, in the annotation and in the defaults', () => {
    const aliases = { both: ['sidecar', 'extra'], nested: ['both'] };
    assert.deepEqual(selectTemplates(pod('grpc-agent,both'), [], aliases, templates), [
      'grpc-agent',
      'sidecar',
      'extra',
    ]);
    assert.deepEqual(selectTemplates(pod(), ['both'], aliases, templates), ['sidecar', 'extra']);
    // An alias naming an alias is not expanded again: "both" must then be a template.
    assert.throws(() => selectTemplates(pod('nested'), [], aliases, templates), notFound('both'));
  });

  it('an alias wins over a template of the same name', () => {
    assert.deepEqual(selectTemplates(pod('sidecar'), [], { sidecar: ['grpc-agent'] }, templates), [
      'grpc-agent',
    ]);
  });

  it('renders a name listed twice once, at its first place, aliases included', () => {
    assert.deepEqual(
      selectTemplates(
        pod('extra,sidecar,extra,both,sidecar'),
        [],
        { both: ['sidecar', 'grpc-agent'] },
        templates,
      ),
      ['extra', 'sidecar', 'grpc-agent'],
    );
  });

  it('refuses a name that is no template, listing the ones there are, sorted', () => {
    assert.throws(() => selectTemplates(pod('sidecar,nope'), [], {}, templates), notFound('nope'));
    assert.throws(() => selectTemplates(pod(), ['nope'], {}, templates), notFound('nope'));
    assert.throws(() => selectTemplates(pod('sidecar, '), [], {}, templates), notFound(''));
    assert.throws(() => selectTemplates(pod(''), [], {}, templates), notFound(''));
  });

  it('an Object.prototype name is neither an alias nor a template', () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      assert.throws(() => selectTemplates(pod(name), [], {}, templates), notFound(name));
    }
  });
});
