import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import yaml from 'js-yaml';
import { layerBundles } from '../../lib/config/bundle.ts';
import { compileBundle } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import type { Pod } from '../../lib/kube/types.ts';
import { strategicMerge } from '../../lib/merge/strategic.ts';
import { buildTemplateData } from '../../lib/template/data.ts';
import { renderTemplate } from '../../lib/template/render.ts';
import { renderCaptured } from '../../lib/template/output-capture.ts';
import { PLAN_BYTES_PER_CHARACTER, SkeletonCache } from '../../lib/template/skeleton.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

// Outputs in places the skeleton shortcut must refuse: inside a block scalar, in a comment, as a key,
// as a duplicate key, next to static text, and values of every type; and literals YAML reads as other
// than JSON (a timestamp, binary).
const EDGE = `metadata:
  annotations:
    block: |
      line {{ pod.metadata.labels.app }}
    # {{ pod.metadata.labels.app }} in a comment
    {{ pod.metadata.labels.app }}: as a key
    {{ pod.metadata.labels.dup }}: dup
    static: x
    prefix: a-{{ pod.metadata.labels.app }}
    number: {{ values.global.proxy.statusPort }}
    map: {{ values.global.proxy.resources }}
    list: {{ values.global.proxy.startupProbe }}
    missing: {{ pod.nothing }}
    unicode: {{ pod.metadata.labels.uni }}
    stamp: 2001-12-14
    bin: !!binary aGVsbG8=
`;

// Directives and nulls, fixed and beside outputs, where the pod has nothing for them to merge over:
// a merge that took these nodes as they are would keep `$patch` and the nulls.
const DIRECTIVES = `metadata:
  annotations:
    fixed: null
    kept: x
spec:
  securityContext:
    $patch: replace
    runAsUser: 1337
  nodeSelector:
    zone: null
    app: {{ pod.metadata.labels.app }}
    version: {{ pod.nothing }}
  containers:
  - name: app
    env:
    - name: GONE
      $patch: delete
    - name: EXTRA
      value: {{ pod.metadata.labels.app }}
`;

const config = compileBundle(
  layerBundles(DEFAULT_BUNDLE, {
    templates: {
      edge: EDGE,
      directives: DIRECTIVES,
      'whole-map': 'spec:\n  nodeSelector: {{ pod.metadata.labels }}\n',
    },
  }),
  'skeleton-test',
);

function reference(name: string, pod: Pod): unknown {
  const data = buildTemplateData(pod, config, { proxyEnvs: {}, revision: '' });
  const tpl = config.templates.get(name);
  assert.ok(tpl);
  return yaml.load(config.engine.renderSync(tpl, data));
}

function viaSkeleton(name: string, pod: Pod): unknown {
  return renderTemplate(config, name, buildTemplateData(pod, config, { proxyEnvs: {}, revision: '' }));
}

describe('parsed-shape cache for rendered templates', () => {
  const pods: Pod[] = [
    deploymentPod('a'),
    deploymentPod('b', { labels: { version: 'v2', dup: 'static' } }),
    deploymentPod('c', {
      labels: { uni: 'é\u2028😀', dup: 'other' },
      annotations: { 'sidecar.istio.io/logLevel': 'debug' },
    }),
    deploymentPod('d', {
      annotations: { 'sidecar.istio.io/interceptionMode': 'NONE', 'status.sidecar.istio.io/port': '0' },
    }),
    deploymentPod('a'),
  ] as Pod[];

  for (const name of ['sidecar', 'gateway', 'grpc-agent', 'grpc-simple']) {
    it(`${name}: the same bytes as parsing the escaped text, first time and cached`, () => {
      for (const pod of pods)
        assert.equal(JSON.stringify(viaSkeleton(name, pod)), JSON.stringify(reference(name, pod)));
    });
  }

  it('falls back to parsing wherever an output is not a whole YAML node, and reports duplicate keys', () => {
    for (const pod of pods.slice(0, 3)) {
      let want: unknown;
      try {
        want = JSON.stringify(reference('edge', pod));
      } catch (err) {
        assert.throws(() => viaSkeleton('edge', pod), /produced invalid YAML: duplicated mapping key/);
        assert.match(String(err), /duplicated mapping key/);
        continue;
      }
      assert.equal(JSON.stringify(viaSkeleton('edge', pod)), want);
    }
  });

  it('a plan holds no more heap than the cache counts for it', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const data = buildTemplateData(deploymentPod('a') as Pod, config, { proxyEnvs: {}, revision: '' });
    const tpl = config.templates.get('sidecar');
    assert.ok(tpl);
    const captured = renderCaptured(() => config.engine.renderSync(tpl, data));
    // Distinct texts (a trailing comment), flattened, so no plan shares a node or a string with another.
    const texts = Array.from({ length: 100 }, (_, i) => `${captured.text}\n# ${i}`);
    for (const t of texts) t.charCodeAt(t.length - 1);
    gc();
    const before = process.memoryUsage().heapUsed;
    const cache = new SkeletonCache();
    for (const [i, t] of texts.entries()) assert.ok(cache.fill(t, captured.values, `shape ${i}`));
    gc();
    const perCharacter = (process.memoryUsage().heapUsed - before) / (texts.length * captured.text.length);
    assert.ok(perCharacter < PLAN_BYTES_PER_CHARACTER, `${perCharacter.toFixed(1)} bytes a character`);
  });

  it('directives and nulls in a shape merge as they do parsed, where the pod has nothing under them', () => {
    const pod = deploymentPod('a') as Pod;
    const want = strategicMerge(pod, reference('directives', pod) as Pod) as Pod;
    assert.deepEqual(want.spec?.securityContext, { runAsUser: 1337 });
    assert.deepEqual(want.spec?.nodeSelector, { app: 'a' });
    assert.deepEqual(want.metadata?.annotations, { kept: 'x' });
    for (let i = 0; i < 2; i++)
      assert.equal(
        JSON.stringify(strategicMerge(pod, viaSkeleton('directives', pod) as Pod)),
        JSON.stringify(want),
      );
  });

  it("a map printed whole merges as parsed, an own __proto__ key of the pod's JSON included", () => {
    const pod = JSON.parse(
      '{"metadata":{"name":"p","labels":{"app":"a","__proto__":{"x":"1"}}},"spec":{"containers":[{"name":"app"}]}}',
    ) as Pod;
    const merged = strategicMerge(pod, reference('whole-map', pod) as Pod) as Pod;
    assert.equal(JSON.stringify(merged.spec?.nodeSelector), '{"app":"a"}');
    const want = JSON.stringify(merged);
    for (let i = 0; i < 2; i++)
      assert.equal(JSON.stringify(strategicMerge(pod, viaSkeleton('whole-map', pod) as Pod)), want);
  });

  it('a text is never taken for a shape named like it', () => {
    const cache = new SkeletonCache();
    assert.deepEqual(cache.fill('a: 1', [], 'b: 2'), { a: 1 });
    assert.deepEqual(cache.fill('b: 2', []), { b: 2 });
  });
});
