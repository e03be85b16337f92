import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleReview } from '../lib/admission/handle-review.ts';
import { layerBundles } from '../lib/config/bundle.ts';
import { compileBundle, type InjectorConfig } from '../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../lib/config/default.ts';
import { InjectionCache } from '../lib/inject/result-cache.ts';
import type { Pod } from '../lib/kube/types.ts';
import { deploymentPod, review } from './support/reviews.ts';

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

  it('does not serialise a pod for a key when its body is too large for one', () => {
    const cache = new InjectionCache();
    const ctx = { namespace: 'default', proxyEnvs: {}, revision: '' };
    // The key is the pod's JSON: a getter on a container tells whether it was written.
    const probed = () => {
      const pod = replica(1);
      const container = { ...pod.spec.containers[0] };
      const seen = { read: false };
      Object.defineProperty(container, 'image', {
        enumerable: true,
        get: () => ((seen.read = true), 'example.com/app:1'),
      });
      return { pod: { ...pod, spec: { ...pod.spec, containers: [container] } } as Pod, seen };
    };
    const big = probed();
    assert.equal(cache.key(big.pod, config, ctx, 65 * 1024), undefined);
    assert.equal(big.seen.read, false, 'a 65 KiB body: the pod was serialised anyway');
    const small = probed();
    assert.ok(cache.key(small.pod, config, ctx, 2 * 1024));
    assert.equal(small.seen.read, true);
  });

  it('counts the managedFields off a large body: a pod they make large is still cached', async () => {
    // 40 KiB of managedFields on a 2 KiB pod: a 43 KiB+ body whose key is the small pod.
    const managedFields = Array.from({ length: 400 }, (_, i) => ({
      manager: `controller-${i}`,
      operation: 'Update',
      fieldsV1: { 'f:metadata': { 'f:labels': { [`f:label-${i}`]: {} } } },
      time: '2026-11-21T00:00:00Z',
    }));
    const pods = Array.from({ length: 3 }, (_, i) => {
      const pod = replica(i);
      return { ...pod, metadata: { ...pod.metadata, managedFields: [...managedFields, ...managedFields] } };
    });
    const cache = new InjectionCache();
    for (const pod of pods) {
      const body = review(pod, { uid: `req-${pod.metadata.uid}` });
      const bytes = Buffer.byteLength(JSON.stringify(body));
      assert.ok(bytes > 64 * 1024, `${bytes} bytes`);
      await handleReview(body, '/inject', { revision: '', config: async () => config, cache }, bytes);
    }
    assert.deepEqual(cache.stats, { hits: 1, misses: 2 });
  });

  it('keeps no answer larger than its bound allows', async () => {
    const cache = new InjectionCache(1000);
    for (let i = 0; i < 3; i++) await answer(deploymentPod('a'), config, cache);
    assert.deepEqual(cache.stats, { hits: 0, misses: 3 });
    assert.equal(cache.bytes, 0);
  });
});
