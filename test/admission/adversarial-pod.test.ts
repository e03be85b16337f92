// Attacks through the pod itself, against the built dist/server.js under a 256 MiB instance's heap. Each
// finding of the hardening review has a test here that failed on the code before its fix (the message of
// each test says what happened then); after every attack the instance must still answer another cluster.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { handleReview } from '../../lib/admission/handle-review.ts';
import { compileBundle } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { layerBundles } from '../../lib/config/bundle.ts';
import { patchedPod } from '../../harness/deploy/patched.ts';
import { type AttackedServer, C1, startAttacked } from '../../harness/support/attacked-server.ts';
import { httpRequest } from '../../harness/support/http-request.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

const FIXTURE_BUNDLE = new URL('../fixtures/classic-proxy-patch.yaml', import.meta.url).pathname;

let server: AttackedServer;
before(async () => {
  server = await startAttacked('server', { OUTRIGGER_CONFIG: FIXTURE_BUNDLE });
});
after(() => server?.stop());

type Pod = Record<string, any>;

async function send(pod: unknown, timeoutMs = 5000) {
  const res = await httpRequest(`${server.url}${server.injectPath(C1)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(review(pod, { uid: 'attack' })),
    timeoutMs,
  });
  assert.equal(res.status, 200, res.text.slice(0, 300));
  return { ms: res.ms, answer: JSON.parse(res.text), response: JSON.parse(res.text).response };
}

function withAnnotations(annotations: Record<string, string>, name = 'attacked'): Pod {
  return deploymentPod(name, { annotations }) as Pod;
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(0);
}

describe('attacks through pod fields, dist/server.js at --max-old-space-size=200', () => {
  it('a 7-level YAML alias bomb in proxy.istio.io/config is refused at once (was: 9 s, 2 GB, heap abort)', async () => {
    let bomb = 'l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i <= 7; i++)
      bomb += `l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(', ')}]\n`;
    assert.ok(bomb.length < 600);
    const rss = server.rssKiB();
    const { response, ms } = await send(withAnnotations({ 'proxy.istio.io/config': bomb }));
    assert.equal(response.allowed, false);
    assert.match(
      response.status.message,
      /for annotation 'proxy\.istio\.io\/config': more than 100 uses of YAML anchors|more than 10000 values/,
    );
    assert.ok(ms < 1000, `took ${ms} ms`);
    assert.ok(server.rssKiB() - rss < 50 * 1024, `RSS ${mib(rss)} → ${mib(server.rssKiB())} MiB`);
    await server.assertStillServes();
  });

  it('annotations over 256 KiB in total are refused before any work, naming the largest', async () => {
    const { response } = await send(
      withAnnotations({ 'example.com/a': 'a'.repeat(200_000), 'example.com/b': 'b'.repeat(100_000) }),
    );
    assert.equal(response.allowed, false);
    assert.match(
      response.status.message,
      /^metadata\.annotations hold 300\d+ bytes, over Kubernetes' limit of 262144; the largest is "example\.com\/a"/,
    );
    await server.assertStillServes();
  });

  it('300 distinct pods with large proxyMetadata keep the heap bounded (was: 360 MiB kept, heap abort at 200)', async (t) => {
    const rss = server.rssKiB();
    const pods = Array.from({ length: 300 }, (_, i) => {
      const meta: Record<string, string> = {};
      for (let k = 0; k < 900 + i; k++) meta[`K${k}`] = 'v';
      return withAnnotations({ 'proxy.istio.io/config': JSON.stringify({ proxyMetadata: meta }) }, `w${i}`);
    });
    for (let i = 0; i < pods.length; i += 4) {
      const answers = await Promise.all(pods.slice(i, i + 4).map((p) => send(p, 20_000)));
      for (const a of answers) assert.equal(a.response.allowed, true, a.response.status?.message);
    }
    const grown = server.rssKiB() - rss;
    t.diagnostic(`RSS ${mib(rss)} → ${mib(server.rssKiB())} MiB`);
    assert.ok(grown < 120 * 1024, `RSS grew by ${mib(grown)} MiB (${mib(rss)} → ${mib(server.rssKiB())})`);
    await server.assertStillServes();
  });

  it('re-injecting a 3 MiB pod whose status lists 10,000 containers is linear (was: 16-17 s)', async () => {
    const names = Array.from({ length: 90_000 }, (_, i) => `c${i}`);
    const pod = deploymentPod('huge') as Pod;
    pod.spec.containers = names.map((name) => ({ name, image: 'x' }));
    pod.metadata.annotations = {
      'sidecar.istio.io/status': JSON.stringify({ containers: names.slice(0, 10_000), initContainers: [] }),
      'proxy.istio.io/overrides': JSON.stringify({
        containers: names.slice(20_000, 24_000).map((name) => ({ name })),
      }),
    };
    assert.ok(JSON.stringify(pod).length > 2.5 * 1024 * 1024);
    const { response, ms } = await send(pod, 10_000);
    assert.equal(response.allowed, true, response.status?.message);
    assert.ok(ms < 4000, `took ${ms} ms`);
    await server.assertStillServes();
  });

  it('all four built-in templates together give one istio-proxy (was: three, and the API server refuses the pod)', async () => {
    const pod = withAnnotations({ 'inject.istio.io/templates': 'sidecar,gateway,grpc-simple,grpc-agent' });
    const patched = patchedPod((await send(pod)).answer, pod) as Pod;
    const all = [...(patched.spec.initContainers ?? []), ...patched.spec.containers];
    assert.equal(all.filter((c: { name: string }) => c.name === 'istio-proxy').length, 1);
  });

  it("a classic-style template patching containers[istio-proxy] lands in the native sidecar (Istio's documented customisation)", async () => {
    const pod = withAnnotations({ 'inject.istio.io/templates': 'sidecar,classic-proxy-patch' });
    const patched = patchedPod((await send(pod)).answer, pod) as Pod;
    const proxies = [...patched.spec.initContainers, ...patched.spec.containers].filter(
      (c: { name: string }) => c.name === 'istio-proxy',
    );
    assert.equal(proxies.length, 1);
    assert.equal(proxies[0].restartPolicy, 'Always', 'still the native sidecar');
    const env = proxies[0].env.map((e: { name: string }) => e.name);
    assert.ok(env.includes('CUSTOMISED'), 'the template’s env is merged in');
    assert.ok(env.includes('PROXY_CONFIG'), 'by name, next to the sidecar’s own env');
  });

  for (const [what, config, field] of [
    [
      'a map as interceptionMode (was: an istio-init argument)',
      { interceptionMode: { a: 1 } },
      'interceptionMode',
    ],
    [
      'a map as a proxyMetadata value (was: "[object Object]" in env)',
      { proxyMetadata: { A: { b: 1 } } },
      'proxyMetadata',
    ],
    [
      '"false" as holdApplicationUntilProxyStarts (was: the hook without the reorder)',
      { holdApplicationUntilProxyStarts: 'false' },
      'holdApplicationUntilProxyStarts',
    ],
    ['a list as concurrency', { concurrency: [2] }, 'concurrency'],
    ['"1m" as drainDuration (protobuf durations are seconds)', { drainDuration: '1m' }, 'drainDuration'],
  ] as const) {
    it(`proxy.istio.io/config with ${what} is refused naming the field`, async () => {
      const { response } = await send(withAnnotations({ 'proxy.istio.io/config': JSON.stringify(config) }));
      assert.equal(response.allowed, false);
      assert.match(
        response.status.message,
        new RegExp(`for annotation 'proxy\\.istio\\.io/config': field ${field} must be`),
      );
    });
  }

  for (const name of ['', 'A=B', 'TAB\tNAME']) {
    it(`proxy.istio.io/config with proxyMetadata named ${JSON.stringify(name)} is refused naming it (was: an env var the API server refuses)`, async () => {
      const config = { proxyMetadata: { [name]: 'x', GOOD: 'y' } };
      const { response } = await send(withAnnotations({ 'proxy.istio.io/config': JSON.stringify(config) }));
      assert.equal(response.allowed, false);
      assert.ok(
        response.status.message.includes(
          `for annotation 'proxy.istio.io/config': field proxyMetadata: ${JSON.stringify(name)} is not an env var name`,
        ),
        response.status.message,
      );
    });
  }

  it('unknown ProxyConfig fields are dropped, as istiod drops them, not passed on in PROXY_CONFIG', async () => {
    const pod = withAnnotations({ 'proxy.istio.io/config': '{"notAField": {"x": 1}, "concurrency": "3"}' });
    const patched = patchedPod((await send(pod)).answer, pod) as Pod;
    const proxy = patched.spec.initContainers.find((c: { name: string }) => c.name === 'istio-proxy');
    const env = Object.fromEntries(proxy.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    assert.equal(env.PROXY_CONFIG, '{"concurrency":3}\n');
  });

  it('userVolume cannot replace the injector’s own volumes: a name inside the value, a nested $patch, a reused name', async () => {
    const renamed = withAnnotations({
      'sidecar.istio.io/userVolume': JSON.stringify({
        mine: { name: 'istio-token', emptyDir: { $patch: 'replace' } },
      }),
    });
    const patched = patchedPod((await send(renamed)).answer, renamed) as Pod;
    const volumes = patched.spec.volumes as { name: string; emptyDir?: unknown; projected?: unknown }[];
    assert.deepEqual(
      volumes.find((v) => v.name === 'mine'),
      { name: 'mine', emptyDir: {} },
    );
    assert.ok(volumes.find((v) => v.name === 'istio-token')?.projected, 'the token volume is the injector’s');

    const reused = withAnnotations({
      'sidecar.istio.io/userVolume': JSON.stringify({ 'istio-token': { emptyDir: {} } }),
    });
    const { response } = await send(reused);
    assert.equal(response.allowed, false);
    assert.match(response.status.message, /renders volume "istio-token" twice/);
  });

  it('userVolumeMount cannot take over a mount path of the injector', async () => {
    const pod = withAnnotations({
      'sidecar.istio.io/userVolume': JSON.stringify({ mine: { emptyDir: {} } }),
      'sidecar.istio.io/userVolumeMount': JSON.stringify({ mine: { mountPath: '/var/run/secrets/tokens' } }),
    });
    const { response } = await send(pod);
    assert.equal(response.allowed, false);
    assert.match(
      response.status.message,
      /renders volume mount path in container "istio-proxy" "\/var\/run\/secrets\/tokens" twice/,
    );
    await server.assertStillServes();
  });
});

describe('the time budget of a review', () => {
  it('a template error that quotes "render limit exceeded" from the pod is that error, not a spent budget', async () => {
    const bundle = layerBundles(DEFAULT_BUNDLE, {
      templates: {
        extra: 'metadata:\n  labels:\n    x: {{ "example.com/meta" | annotation: "{}" | from_json }}\n',
      },
      defaultTemplates: ['sidecar', 'extra'],
    });
    const config = compileBundle(bundle, 'test');
    const pod = deploymentPod('quoting', { annotations: { 'example.com/meta': 'render limit exceeded' } });
    const { review: answer, outcome } = await handleReview(review(pod), '/inject', {
      revision: '',
      config: async () => config,
    });
    const response = answer.response as { allowed: boolean; status: { message: string } };
    assert.equal(response.allowed, false);
    assert.match(response.status.message, /^failed to run injection template "extra": .*not JSON/);
    assert.equal(outcome.errorCode, 'template');
  });

  it('dist/server.js refuses a pod that outlives OUTRIGGER_REVIEW_BUDGET_MS, and serves the next one', async () => {
    // 25 ms: a hello review's injection takes about 1 ms, this pod's hundreds (40,000 containers whose
    // ports the sidecar lists in ISTIO_META_POD_PORTS and whose probes it rewrites; 2.3 MiB, under the
    // API server's 3 MiB and under the parse limit).
    const tight = await startAttacked('server', { OUTRIGGER_REVIEW_BUDGET_MS: '25' });
    try {
      // Warm up: the first reviews compile the templates and the JIT, which a budget this tight is not
      // meant to cover; once one is answered in time, the instance is warm.
      for (let attempt = 1; ; attempt++) {
        try {
          await tight.assertStillServes();
          break;
        } catch (err) {
          if (attempt === 20) throw err;
        }
      }
      const pod = deploymentPod('heavy') as Pod;
      pod.spec.containers = Array.from({ length: 40_000 }, (_, i) => ({
        name: `c${i}`,
        image: 'x',
        ports: [{ containerPort: 1000 + (i % 50_000) }],
      }));
      const res = await httpRequest(`${tight.url}${tight.injectPath(C1)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(review(pod, { uid: 'heavy' })),
        timeoutMs: 10_000,
      });
      const response = JSON.parse(res.text).response;
      assert.equal(response.allowed, false);
      assert.match(response.status.message, /^injection ran out of its time budget of 25 ms \(.+\)/);
      await new Promise((r) => setTimeout(r, 200));
      await tight.assertStillServes();
    } finally {
      await tight.stop();
    }
  });

  it('a budget that is not a number of milliseconds stops the function at start, saying so', async () => {
    await assert.rejects(
      startAttacked('server', { OUTRIGGER_REVIEW_BUDGET_MS: 'soon' }),
      /OUTRIGGER_REVIEW_BUDGET_MS must be milliseconds above 0, not "soon"/,
    );
  });

  it('a review whose injection outlives its budget is refused naming the stage, never half-answered', async () => {
    const config = compileBundle(DEFAULT_BUNDLE, 'test');
    let t = 0;
    const { review: answer } = await handleReview(review(deploymentPod('slow')), '/inject', {
      revision: '',
      config: async () => config,
      budgetMs: 50,
      // Each reading of the clock moves it 20 ms: the third check is past the budget.
      clock: () => (t += 20),
    });
    const response = answer.response as { allowed: boolean; status: { message: string }; patch?: string };
    assert.equal(response.allowed, false);
    assert.match(response.status.message, /^injection ran out of its time budget of 50 ms \(.+\)/);
    assert.equal(response.patch, undefined);
  });
});
