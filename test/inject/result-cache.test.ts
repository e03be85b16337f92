import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleReview } from '../../lib/admission/handle-review.ts';
import { layerBundles } from '../../lib/config/bundle.ts';
import { compileBundle, type InjectorConfig } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import fc from 'fast-check';
import { createHandler } from '../../lib/http/handle.ts';
import { InjectionCache } from '../../lib/inject/result-cache.ts';
import type { Pod } from '../../lib/kube/types.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

const config = compileBundle(DEFAULT_BUNDLE, 'default');

/** A replica as the API server sends it: same template, its own uid and timestamps. */
function replica(i: number, name = 'hello') {
  const pod = deploymentPod(name);
  return {
    ...pod,
    metadata: { ...pod.metadata, uid: `pod-uid-${i}`, creationTimestamp: `2026-11-21T00:00:0${i % 10}Z` },
  };
}

async function answer(pod: unknown, cfg: InjectorConfig, cache?: InjectionCache, path = '/inject') {
  const { review: out } = await handleReview(
    review(pod, { uid: `req-${JSON.stringify(pod).length}` }),
    path,
    {
      revision: '',
      config: async () => cfg,
      cache,
    },
  );
  return JSON.stringify(out);
}

describe('injection result cache', () => {
  it('replicas of one workload cost two injections, with byte-identical answers', async () => {
    const cache = new InjectionCache();
    const pods = [
      ...Array.from({ length: 20 }, (_, i) => replica(i)),
      deploymentPod('other'),
      replica(99, 'third'),
    ];
    for (const pod of pods) assert.equal(await answer(pod, config, cache), await answer(pod, config));
    // The first replica's answer is not kept: its key is, and the second one's answer is.
    assert.deepEqual(cache.stats, { hits: 18, misses: 4 });
    assert.ok(cache.bytes > 0);
  });

  it('keeps no answer for a key seen once: a fleet of distinct workloads leaves the cache empty', async () => {
    const cache = new InjectionCache();
    for (let i = 0; i < 30; i++) await answer(deploymentPod(`w${i}`), config, cache);
    assert.equal(cache.bytes, 0);
    assert.deepEqual(cache.stats, { hits: 0, misses: 30 });
  });

  it('keys on everything else: namespace, URL path, config version, annotations', async () => {
    const cache = new InjectionCache();
    const variants: [unknown, InjectorConfig, string][] = [
      [replica(1), config, '/inject'],
      [replica(1), config, '/inject/cluster/c2/net/n2'],
      [{ ...replica(1), metadata: { ...replica(1).metadata, namespace: 'shop' } }, config, '/inject'],
      [deploymentPod('hello', { annotations: { 'sidecar.istio.io/logLevel': 'debug' } }), config, '/inject'],
      [
        replica(1),
        compileBundle(layerBundles(DEFAULT_BUNDLE, { values: { global: { tag: '1.2.3' } } }), 'v2'),
        '/inject',
      ],
    ];
    const answers = new Set<string>();
    for (const [pod, cfg, path] of variants) {
      const cached = await answer(pod, cfg, cache, path);
      assert.equal(cached, await answer(pod, cfg, undefined, path));
      answers.add(cached);
    }
    assert.equal(answers.size, variants.length);
    assert.equal(cache.stats.hits, 0);
  });

  it('keeps the pod name in the key when a template reads it', async () => {
    const cfg = compileBundle(
      layerBundles(DEFAULT_BUNDLE, {
        templates: { named: 'metadata:\n  labels:\n    pod-name: {{ pod.metadata.name }}\n' },
        defaultTemplates: ['named'],
      }),
      'named',
    );
    const cache = new InjectionCache();
    const a = { ...replica(1), metadata: { ...replica(1).metadata, name: 'hello-7d4b9-aaaaa' } };
    const b = { ...replica(2), metadata: { ...replica(2).metadata, name: 'hello-7d4b9-bbbbb' } };
    assert.notEqual(await answer(a, cfg, cache), await answer(b, cfg, cache));
    assert.equal(await answer(b, cfg, cache), await answer(b, cfg));
    assert.equal(await answer(b, cfg, cache), await answer(b, cfg));
    assert.deepEqual(cache.stats, { hits: 1, misses: 3 });
  });

  it('is bounded by bytes: the least recently used answer goes first', async () => {
    const one = new InjectionCache();
    for (let i = 0; i < 2; i++) await answer(deploymentPod('a'), config, one);
    const entryBytes = one.bytes;
    assert.ok(entryBytes > 1000, `an entry counts its key and patch (${entryBytes} bytes)`);
    const cache = new InjectionCache(Math.floor(entryBytes * 2.5));
    // Each name twice, so each answer is kept.
    for (const name of ['a', 'a', 'b', 'b', 'c', 'c', 'a']) await answer(deploymentPod(name), config, cache);
    assert.deepEqual(cache.stats, { hits: 0, misses: 7 }, 'a was evicted by c');
    assert.ok(cache.bytes <= entryBytes * 2.5);
  });

  const ctx = { namespace: 'default', proxyEnvs: {}, revision: '' };
  const HUGE_BODY = 16 * 1024 * 1024;

  it('does not serialise a pod for a key when its body is large and the pod too large for one', () => {
    const cache = new InjectionCache();
    // JSON.stringify calls toJSON, measuring does not: it tells whether the pod was written.
    const probed = () => {
      const pod = replica(1);
      const seen = { written: false };
      const image = { toJSON: () => ((seen.written = true), 'example.com/app:1') };
      const container = { ...pod.spec.containers[0], image };
      const annotations = { ...pod.metadata.annotations, big: 'x'.repeat(70_000) };
      const probe = { ...pod, metadata: { ...pod.metadata, annotations }, spec: { containers: [container] } };
      return { pod: probe as unknown as Pod, seen };
    };
    const large = probed();
    assert.equal(cache.key(large.pod, config, ctx, 80_000), undefined);
    assert.equal(large.seen.written, false, 'an 80 KB body: the pod was serialised anyway');
    // A small body (however wrongly sized) is not measured: the pod is serialised, its key too long.
    const small = probed();
    assert.equal(cache.key(small.pod, config, ctx, 2_000), undefined);
    assert.equal(small.seen.written, true);
  });

  it('measuring a large body never changes a key: the same pods are cached, under the same keys', () => {
    const withAnnotation = (pod: Pod, length: number) =>
      ({
        ...pod,
        metadata: { ...pod.metadata, annotations: { ...pod.metadata?.annotations, big: 'é'.repeat(length) } },
      }) as Pod;
    fc.assert(
      fc.property(
        fc.record({
          env: fc.integer({ min: 0, max: 800 }),
          managedFields: fc.integer({ min: 0, max: 600 }),
          controller: fc.boolean(),
          numbers: fc.array(fc.double(), { maxLength: 20 }),
          // How far the key ends from the bound: a count that ran over the text's length shows there.
          offset: fc.oneof(fc.integer({ min: -1500, max: 1500 }), fc.integer({ min: -8, max: 8 })),
        }),
        (p) => {
          const pod = replica(1);
          const env = Array.from({ length: p.env }, (_, i) => ({ name: `VAR_${i}`, value: `v\n"${i}"` }));
          const managedFields = Array.from({ length: p.managedFields }, (_, i) => ({
            manager: `m${i}`,
            fieldsV1: { [`f:x${i}`]: {} },
          }));
          const base = {
            ...pod,
            metadata: {
              ...pod.metadata,
              managedFields,
              ...(p.controller ? {} : { ownerReferences: [] }),
            },
            spec: { ...pod.spec, containers: [{ ...pod.spec.containers[0], env }], numbers: p.numbers },
          } as unknown as Pod;
          const cache = new InjectionCache();
          const baseLength = cache.key(withAnnotation(base, 0), config, ctx)?.length ?? 0;
          const candidate = withAnnotation(base, Math.max(0, 64 * 1024 - baseLength + p.offset));
          assert.equal(cache.key(candidate, config, ctx, HUGE_BODY), cache.key(candidate, config, ctx));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a pod whose managedFields make its body large is still cached: the key leaves them out', async () => {
    // About 110 KB of managedFields on a small pod: a body over 64 KiB whose key is the small pod.
    const managedFields = Array.from({ length: 800 }, (_, i) => ({
      manager: `controller-${i}`,
      operation: 'Update',
      fieldsV1: { 'f:metadata': { 'f:labels': { [`f:label-${i}`]: {} } } },
      time: '2026-11-21T00:00:00Z',
    }));
    const cache = new InjectionCache();
    for (let i = 0; i < 3; i++) {
      const pod = replica(i);
      const body = review({ ...pod, metadata: { ...pod.metadata, managedFields } }, { uid: `req-${i}` });
      const bytes = Buffer.byteLength(JSON.stringify(body));
      assert.ok(bytes > 64 * 1024, `${bytes} bytes`);
      await handleReview(body, '/inject', { revision: '', config: async () => config, cache }, bytes);
    }
    assert.deepEqual(cache.stats, { hits: 1, misses: 2 });
  });

  it("the webhook gives the cache each body's UTF-8 size, as bytes or as text", async () => {
    const sizes: (number | undefined)[] = [];
    // Records what the handler passes; the key is the cache's own.
    class Recording extends InjectionCache {
      override key(pod: Pod, cfg: InjectorConfig, c: Parameters<InjectionCache['key']>[2], bytes?: number) {
        sizes.push(bytes);
        return super.key(pod, cfg, c, bytes);
      }
    }
    const handle = createHandler({ revision: '', config: async () => config, cache: new Recording() });
    const text = JSON.stringify(
      review({ ...replica(1), metadata: { ...replica(1).metadata, labels: { é: 'ü' } } }),
    );
    const head = { method: 'POST', path: '/inject', headers: { 'content-type': 'application/json' } };
    for (const body of [Buffer.from(text), text]) assert.equal((await handle({ ...head, body })).status, 200);
    assert.deepEqual(sizes, [Buffer.byteLength(text), Buffer.byteLength(text)]);
    assert.ok(Buffer.byteLength(text) > text.length);
  });

  it('keeps no answer larger than its bound allows', async () => {
    const cache = new InjectionCache(1000);
    for (let i = 0; i < 3; i++) await answer(deploymentPod('a'), config, cache);
    assert.deepEqual(cache.stats, { hits: 0, misses: 3 });
    assert.equal(cache.bytes, 0);
  });
});
