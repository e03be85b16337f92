import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectMeta } from '../../lib/kube/types.ts';
import { decide } from '../../lib/policy/decide.ts';
import { type LabelSelector, matchesSelector, selectorProblem } from '../../lib/policy/selector.ts';
import { SEED_TABLE } from '../../harness/support/seed-table.ts';

// Istio's TestInjectRequired (reference §2.1): [name, policy, never, always, annotation, label, labels, hostNetwork, want]
type Vector = [
  string,
  string,
  LabelSelector[],
  LabelSelector[],
  string | null,
  string | null,
  Record<string, string>,
  boolean,
  boolean,
];
const exists = (key: string): LabelSelector => ({ matchExpressions: [{ key, operator: 'Exists' }] });
const fooBar: LabelSelector = { matchLabels: { foo: 'bar' } };
const VECTORS: Vector[] = [
  ['no-policy', 'enabled', [], [], null, null, {}, false, true],
  ['default-policy', 'enabled', [], [], null, null, {}, false, true],
  ['force-on-policy', 'enabled', [], [], 'true', null, {}, false, true],
  ['force-off-policy', 'enabled', [], [], 'false', null, {}, false, false],
  ['no-policy disabled', 'disabled', [], [], null, null, {}, false, false],
  ['default-policy disabled', 'disabled', [], [], null, null, {}, false, false],
  ['force-on-policy disabled', 'disabled', [], [], 'true', null, {}, false, true],
  ['force-off-policy disabled', 'disabled', [], [], 'false', null, {}, false, false],
  ['invalid-inject-value-yes', 'enabled', [], [], 'yes', null, {}, false, true],
  ['invalid-inject-value-on', 'disabled', [], [], 'on', null, {}, false, false],
  ['invalid-inject-value-random', 'enabled', [], [], null, 'random', {}, false, true],
  ['force-off-policy hostNetwork', 'enabled', [], [], null, null, {}, true, false],
  ['wrong-policy', 'wrong_policy', [], [], null, null, {}, false, false],
  ['policy-enabled-always-inject-no-labels', 'enabled', [], [fooBar], null, null, {}, false, true],
  [
    'policy-enabled-always-inject-with-labels',
    'enabled',
    [],
    [fooBar],
    null,
    null,
    { foo: 'bar1' },
    false,
    true,
  ],
  ['policy-disabled-always-inject-no-labels', 'disabled', [], [fooBar], null, null, {}, false, false],
  [
    'policy-disabled-always-inject-with-labels',
    'disabled',
    [],
    [fooBar],
    null,
    null,
    { foo: 'bar' },
    false,
    true,
  ],
  ['policy-enabled-never-inject-no-labels', 'enabled', [fooBar], [], null, null, {}, false, true],
  [
    'policy-enabled-never-inject-with-labels',
    'enabled',
    [fooBar],
    [],
    null,
    null,
    { foo: 'bar' },
    false,
    false,
  ],
  ['policy-disabled-never-inject-no-labels', 'disabled', [fooBar], [], null, null, {}, false, false],
  [
    'policy-disabled-never-inject-with-labels',
    'disabled',
    [fooBar],
    [],
    null,
    null,
    { foo: 'bar' },
    false,
    false,
  ],
  [
    'policy-enabled-never-inject-with-empty-label',
    'enabled',
    [exists('foo')],
    [],
    null,
    null,
    { foo: '', foo2: 'bar2' },
    false,
    false,
  ],
  [
    'policy-disabled-always-inject-with-empty-label',
    'disabled',
    [],
    [exists('foo')],
    null,
    null,
    { foo: '', foo2: 'bar2' },
    false,
    true,
  ],
  [
    'policy-disabled-always-never-inject-with-label-returns-true',
    'disabled',
    [exists('never')],
    [exists('always')],
    null,
    null,
    { always: 'bar', foo2: 'bar2' },
    false,
    true,
  ],
  [
    'policy-disabled-always-never-inject-with-label-returns-false',
    'disabled',
    [exists('never')],
    [exists('always')],
    null,
    null,
    { never: 'bar', foo2: 'bar2' },
    false,
    false,
  ],
  [
    'policy-disabled-always-never-inject-with-both-labels',
    'disabled',
    [exists('never')],
    [exists('always')],
    null,
    null,
    { always: 'bar', never: 'bar2' },
    false,
    false,
  ],
  [
    'policy-enabled-annotation-true-never-inject',
    'enabled',
    [exists('foo')],
    [],
    'true',
    null,
    { foo: '', foo2: 'bar2' },
    false,
    true,
  ],
  [
    'policy-enabled-annotation-false-always-inject',
    'enabled',
    [],
    [exists('foo')],
    'false',
    null,
    { foo: '', foo2: 'bar2' },
    false,
    false,
  ],
  [
    'policy-disabled-annotation-false-always-inject',
    'disabled',
    [],
    [exists('foo')],
    'false',
    null,
    { foo: '', foo2: 'bar2' },
    false,
    false,
  ],
  [
    'policy-enabled-never-inject-multiple-labels',
    'enabled',
    [exists('foo'), exists('bar')],
    [],
    null,
    null,
    { label1: '', bar: 'anything' },
    false,
    false,
  ],
  [
    'policy-enabled-always-inject-multiple-labels',
    'disabled',
    [],
    [exists('foo'), exists('bar')],
    null,
    null,
    { label1: '', bar: 'anything' },
    false,
    true,
  ],
  [
    'policy-disabled-annotation-true-never-inject',
    'disabled',
    [exists('foo')],
    [],
    'true',
    null,
    { foo: '', foo2: 'bar2' },
    false,
    true,
  ],
  ['policy-disabled-label-enabled', 'disabled', [], [], null, 'true', {}, false, true],
  ['policy-disabled-both-enabled', 'disabled', [], [], 'true', 'true', {}, false, true],
  ['policy-disabled-label-enabled-annotation-disabled', 'disabled', [], [], 'false', 'true', {}, false, true],
  [
    'policy-disabled-label-disabled-annotation-enabled',
    'disabled',
    [],
    [],
    'true',
    'false',
    {},
    false,
    false,
  ],
];

describe("Istio's injectRequired vectors", () => {
  assert.equal(VECTORS.length, 36);
  for (const [name, policy, never, always, annotation, label, labels, hostNetwork, want] of VECTORS) {
    it(`${name} → ${want}`, () => {
      const meta: ObjectMeta = {
        name,
        namespace: 'test-namespace',
        // Vector 1 and 5 give an empty annotation map, the others none: both must behave the same.
        annotations: annotation === null ? {} : { 'sidecar.istio.io/inject': annotation },
        labels: label === null ? { ...labels } : { ...labels, 'sidecar.istio.io/inject': label },
      };
      const d = decide(
        { policy, neverInjectSelector: never, alwaysInjectSelector: always },
        { hostNetwork },
        meta,
      );
      assert.equal(d.inject, want, d.reason);
      assert.ok(d.reason.length > 0);
    });
  }
});

describe('ignored namespaces', () => {
  for (const ns of ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']) {
    it(`${ns} is never injected, even when asked`, () => {
      const d = decide(
        { policy: 'enabled', neverInjectSelector: [], alwaysInjectSelector: [] },
        {},
        { namespace: ns, labels: { 'sidecar.istio.io/inject': 'true' } },
      );
      assert.deepEqual(d, { inject: false, reason: `namespace "${ns}" is never injected` });
    });
  }
  it('a namespace named fake is not ignored', () => {
    assert.equal(
      decide(
        { policy: 'enabled', neverInjectSelector: [], alwaysInjectSelector: [] },
        {},
        { namespace: 'fake' },
      ).inject,
      true,
    );
  });
});

// The seed table (harness/support/seed-table.ts), decided here as the API server and the function would;
// test/e2e/api-server.test.ts runs it through a real API server.
describe('namespaceSelector × policy × annotation (12 rows)', () => {
  const nsSelector: LabelSelector = { matchLabels: { 'istio-injection': 'enabled' } };
  for (const [nsMatches, policy, annotation, want] of SEED_TABLE) {
    it(`namespace ${nsMatches ? 'selected' : 'not selected'}, policy ${policy}, annotation ${annotation ?? 'absent'} → ${want}`, () => {
      const nsLabels: Record<string, string> = nsMatches ? { 'istio-injection': 'enabled' } : {};
      const called = matchesSelector(nsSelector, nsLabels);
      const d = decide(
        { policy, neverInjectSelector: [], alwaysInjectSelector: [] },
        {},
        {
          namespace: 'apps',
          annotations: annotation === null ? {} : { 'sidecar.istio.io/inject': annotation },
        },
      );
      assert.equal(called && d.inject, want);
    });
  }
});

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front' };
  it('matchLabels and every operator', () => {
    assert.equal(matchesSelector({ matchLabels: { app: 'web' } }, labels), true);
    assert.equal(matchesSelector({ matchLabels: { app: 'db' } }, labels), false);
    assert.equal(
      matchesSelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'x'] }] }, labels),
      true,
    );
    assert.equal(
      matchesSelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['x'] }] }, labels),
      false,
    );
    assert.equal(
      matchesSelector({ matchExpressions: [{ key: 'nope', operator: 'In', values: ['x'] }] }, labels),
      false,
    );
    assert.equal(
      matchesSelector({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, labels),
      false,
    );
    assert.equal(
      matchesSelector({ matchExpressions: [{ key: 'nope', operator: 'NotIn', values: ['web'] }] }, labels),
      true,
    );
    assert.equal(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels), true);
    assert.equal(
      matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels),
      false,
    );
    assert.equal(
      matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels),
      true,
    );
    assert.equal(
      matchesSelector(
        {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }],
        },
        labels,
      ),
      false,
    );
  });
  it('an empty selector never triggers never/always', () => {
    const d = decide(
      { policy: 'disabled', neverInjectSelector: [], alwaysInjectSelector: [{}] },
      {},
      { namespace: 'a' },
    );
    assert.equal(d.inject, false);
  });
  it('invalid selectors are described', () => {
    assert.equal(
      selectorProblem({ matchExpressions: [{ key: 'a', operator: 'In' }] }),
      'matchExpressions[0].values must be non-empty for In',
    );
    assert.equal(
      selectorProblem({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
      'matchExpressions[0].values must be empty for Exists',
    );
    assert.equal(
      selectorProblem({ matchExpressions: [{ key: 'a', operator: 'Like', values: ['x'] }] }),
      'matchExpressions[0].operator "Like" is not In, NotIn, Exists or DoesNotExist',
    );
    assert.equal(selectorProblem({ matchLabel: {} }), 'unknown field "matchLabel"');
  });
});

describe('decision reasons', () => {
  it('names what decided', () => {
    const cfg = { policy: 'enabled', neverInjectSelector: [fooBar], alwaysInjectSelector: [] };
    assert.equal(
      decide(cfg, {}, { namespace: 'a', labels: { foo: 'bar' } }).reason,
      'labels match neverInjectSelector[0]',
    );
    assert.equal(
      decide(cfg, {}, { namespace: 'a', labels: { 'sidecar.istio.io/inject': 'false' } }).reason,
      'label sidecar.istio.io/inject="false"',
    );
    assert.equal(
      decide(cfg, {}, { namespace: 'a', annotations: { 'sidecar.istio.io/inject': 'yes' } }).reason,
      'annotation sidecar.istio.io/inject="yes" is not "true" or "false" and was ignored; policy is enabled',
    );
    assert.equal(decide(cfg, { hostNetwork: true }, { namespace: 'a' }).reason, 'pod uses host networking');
  });
});

describe('mirror pods (not in Istio’s injectRequired)', () => {
  const cfg = { policy: 'enabled', neverInjectSelector: [], alwaysInjectSelector: [] };
  it('a pod annotated kubernetes.io/config.mirror is never injected, even when it asks to be', () => {
    const d = decide(
      cfg,
      {},
      {
        namespace: 'apps',
        annotations: { 'kubernetes.io/config.mirror': 'abc', 'sidecar.istio.io/inject': 'true' },
        labels: { 'sidecar.istio.io/inject': 'true' },
      },
    );
    assert.deepEqual(d, {
      inject: false,
      reason: 'mirror pod (kubernetes.io/config.mirror): the kubelet owns it',
    });
  });
  it('an empty value still marks a mirror pod', () => {
    assert.equal(
      decide(cfg, {}, { namespace: 'apps', annotations: { 'kubernetes.io/config.mirror': '' } }).inject,
      false,
    );
  });
});
