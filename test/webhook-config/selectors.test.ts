import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesSelector } from '../../lib/policy/selector.ts';
import { istioSelectorWebhooks, SYSTEM_NAMESPACES } from '../../lib/webhook-config/selectors.ts';

const notDisabled = { key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] };
const noLegacy = { key: 'istio-injection', operator: 'DoesNotExist' };
const noRev = { key: 'istio.io/rev', operator: 'DoesNotExist' };

/** The webhooks (by prefix) the API server would call for a pod with these labels in such a namespace. */
function called(
  revision: string,
  mode: 'label' | 'all',
  namespace: string,
  namespaceLabels: Record<string, string>,
  podLabels: Record<string, string>,
): string[] {
  const ns = { 'kubernetes.io/metadata.name': namespace, ...namespaceLabels };
  return istioSelectorWebhooks(revision, mode)
    .filter((w) => matchesSelector(w.namespaceSelector, ns) && matchesSelector(w.objectSelector, podLabels))
    .map((w) => w.prefix);
}

describe('istioSelectorWebhooks', () => {
  it('names the namespaces Istio never injects into', () => {
    assert.deepEqual(SYSTEM_NAMESPACES, [
      'kube-system',
      'kube-public',
      'kube-node-lease',
      'local-path-storage',
    ]);
  });

  it("the default revision: the chart's four webhooks, selectors as in istio-discovery mutatingwebhook.yaml", () => {
    assert.deepEqual(istioSelectorWebhooks('', 'label'), [
      {
        prefix: 'rev.namespace.',
        namespaceSelector: {
          matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: ['default'] }, noLegacy],
        },
        objectSelector: { matchExpressions: [notDisabled] },
      },
      {
        prefix: 'rev.object.',
        namespaceSelector: { matchExpressions: [noRev, noLegacy] },
        objectSelector: {
          matchExpressions: [notDisabled, { key: 'istio.io/rev', operator: 'In', values: ['default'] }],
        },
      },
      {
        prefix: 'namespace.',
        namespaceSelector: {
          matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }],
        },
        objectSelector: { matchExpressions: [notDisabled] },
      },
      {
        prefix: 'object.',
        namespaceSelector: { matchExpressions: [noLegacy, noRev] },
        objectSelector: {
          matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'In', values: ['true'] }, noRev],
        },
      },
    ]);
  });

  it('mode all adds auto. for every namespace without either label, system namespaces aside', () => {
    const webhooks = istioSelectorWebhooks('', 'all');
    assert.deepEqual(
      webhooks.map((w) => w.prefix),
      ['rev.namespace.', 'rev.object.', 'namespace.', 'object.', 'auto.'],
    );
    assert.deepEqual(webhooks[4], {
      prefix: 'auto.',
      namespaceSelector: {
        matchExpressions: [
          noLegacy,
          noRev,
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: SYSTEM_NAMESPACES },
        ],
      },
      objectSelector: {
        matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'DoesNotExist' }, noRev],
      },
    });
  });

  it('a named revision: only the two istio.io/rev webhooks, whatever the mode', () => {
    const expected = [
      {
        prefix: 'rev.namespace.',
        namespaceSelector: {
          matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: ['canary'] }, noLegacy],
        },
        objectSelector: { matchExpressions: [notDisabled] },
      },
      {
        prefix: 'rev.object.',
        namespaceSelector: { matchExpressions: [noRev, noLegacy] },
        objectSelector: {
          matchExpressions: [notDisabled, { key: 'istio.io/rev', operator: 'In', values: ['canary'] }],
        },
      },
    ];
    assert.deepEqual(istioSelectorWebhooks('canary', 'label'), expected);
    assert.deepEqual(istioSelectorWebhooks('canary', 'all'), expected);
  });

  it('the default revision: which webhook a pod reaches, never more than one', () => {
    const cases: [string, Record<string, string>, Record<string, string>, 'label' | 'all', string[]][] = [
      ['legacy label', { 'istio-injection': 'enabled' }, {}, 'label', ['namespace.']],
      [
        'legacy label, pod opts out',
        { 'istio-injection': 'enabled' },
        { 'sidecar.istio.io/inject': 'false' },
        'label',
        [],
      ],
      [
        'legacy label wins over istio.io/rev',
        { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' },
        {},
        'label',
        ['namespace.'],
      ],
      [
        'namespace disabled, pod opts in',
        { 'istio-injection': 'disabled' },
        { 'sidecar.istio.io/inject': 'true' },
        'all',
        [],
      ],
      ['namespace rev=default', { 'istio.io/rev': 'default' }, {}, 'label', ['rev.namespace.']],
      ['namespace of another revision', { 'istio.io/rev': 'canary' }, {}, 'all', []],
      ['pod rev=default', {}, { 'istio.io/rev': 'default' }, 'label', ['rev.object.']],
      [
        'pod rev=default and inject=true',
        {},
        { 'istio.io/rev': 'default', 'sidecar.istio.io/inject': 'true' },
        'label',
        ['rev.object.'],
      ],
      ['pod of another revision', {}, { 'istio.io/rev': 'canary' }, 'all', []],
      ['pod opts in', {}, { 'sidecar.istio.io/inject': 'true' }, 'label', ['object.']],
      ['unlabelled, label mode', {}, {}, 'label', []],
      ['unlabelled, all mode', {}, {}, 'all', ['auto.']],
      ['unlabelled, pod opts out', {}, { 'sidecar.istio.io/inject': 'false' }, 'all', []],
    ];
    for (const [what, ns, pod, mode, webhooks] of cases) {
      assert.deepEqual(called('', mode, 'shop', ns, pod), webhooks, what);
    }
    for (const system of SYSTEM_NAMESPACES) assert.deepEqual(called('', 'all', system, {}, {}), [], system);
  });

  it('a named revision: pods reach it only by its own istio.io/rev', () => {
    assert.deepEqual(called('canary', 'all', 'shop', { 'istio.io/rev': 'canary' }, {}), ['rev.namespace.']);
    assert.deepEqual(called('canary', 'all', 'shop', {}, { 'istio.io/rev': 'canary' }), ['rev.object.']);
    assert.deepEqual(called('canary', 'all', 'shop', { 'istio-injection': 'enabled' }, {}), []);
    assert.deepEqual(called('canary', 'all', 'shop', { 'istio.io/rev': 'default' }, {}), []);
    assert.deepEqual(called('canary', 'all', 'shop', {}, {}), []);
  });
});
