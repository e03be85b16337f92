import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pod } from 'kubernetes-models/v1';
import { applyPatch } from 'rfc6902';
import { functionsFramework, type ServerProcess, spawnServer } from '../../harness/support/spawn-server.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

let server: ServerProcess;
before(async () => {
  server = await spawnServer(functionsFramework('dist/gcp.js', { OUTRIGGER_AUTH: 'off' }));
});
after(() => server.stop());

async function post(path: string, body: string, contentType = 'application/json') {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function admit(reviewBody: unknown, path = '/inject') {
  const res = await post(path, JSON.stringify(reviewBody));
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text);
}

function patched(pod: unknown, response: { patch: string }) {
  const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
  const target = structuredClone(pod);
  const errors = applyPatch(target, ops).filter((e) => e !== null);
  assert.deepEqual(errors, [], 'every patch operation applies');
  return { pod: target as ReturnType<typeof deploymentPod>, ops };
}

describe('webhook through the functions-framework server', () => {
  for (const version of ['v1', 'v1beta1'] as const) {
    it(`AdmissionReview ${version}: answers in ${version} with the uid and a patch giving a valid Pod`, async () => {
      const pod = deploymentPod();
      const out = await admit(review(pod, { version, uid: `uid-${version}` }));
      assert.equal(out.apiVersion, `admission.k8s.io/${version}`);
      assert.equal(out.kind, 'AdmissionReview');
      assert.equal(out.response.uid, `uid-${version}`);
      assert.equal(out.response.allowed, true);
      assert.equal(out.response.patchType, 'JSONPatch');
      const { pod: result } = patched(pod, out.response);
      new Pod(result as never).validate();
      const spec = result.spec as { containers: { name: string }[]; initContainers?: { name: string }[] };
      assert.deepEqual(
        spec.containers.map((c) => c.name),
        ['hello'],
        'the user container is untouched',
      );
      assert.deepEqual(spec.containers[0], pod.spec.containers[0]);
      assert.deepEqual(
        spec.initContainers?.map((c) => c.name),
        ['istio-init', 'istio-proxy'],
      );
      // The pod has no namespace (made by a controller): the request's is used, and not patched in.
      assert.equal((result.metadata as { namespace?: string }).namespace, undefined);
    });
  }

  it('patches a pod that has no annotations (every add has its parent)', async () => {
    const pod = deploymentPod();
    assert.equal('annotations' in pod.metadata, false);
    const { pod: result } = patched(pod, (await admit(review(pod))).response);
    assert.ok(
      (result.metadata as { annotations: Record<string, string> }).annotations['sidecar.istio.io/status'],
    );
  });

  it('skips an opted-out pod: allowed, no patch', async () => {
    const out = await admit(
      review(deploymentPod('hello', { labels: { 'sidecar.istio.io/inject': 'false' } })),
    );
    assert.deepEqual(out.response, { uid: '0b5a4e5c-7d3f-4a8e-9a43-1f0c2d7e9b11', allowed: true });
  });

  it('allows objects that are not pods unchanged', async () => {
    const out = await admit(
      review({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, { kind: 'ConfigMap' }),
    );
    assert.deepEqual(out.response, { uid: '0b5a4e5c-7d3f-4a8e-9a43-1f0c2d7e9b11', allowed: true });
  });

  it('gives byte-identical answers to the same request', async () => {
    const body = review(deploymentPod());
    const a = await post('/inject', JSON.stringify(body));
    const b = await post('/inject', JSON.stringify(body));
    assert.equal(a.text, b.text);
  });

  it('takes cluster and network from the URL path into the proxy env', async () => {
    const pod = deploymentPod();
    const out = await admit(review(pod), '/inject/cluster/east-1/net/network-a');
    const { pod: result } = patched(pod, out.response);
    const proxy = (
      result.spec as unknown as {
        initContainers: { name: string; env: { name: string; value?: string }[] }[];
      }
    ).initContainers.find((c) => c.name === 'istio-proxy');
    const env = Object.fromEntries((proxy?.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.ISTIO_META_CLUSTER_ID, 'east-1');
    assert.equal(env.ISTIO_META_NETWORK, 'network-a');
  });
});

describe('bad requests get a clear answer', () => {
  it('empty body → 400 no body found', async () => {
    const res = await post('/inject', '');
    assert.equal(res.status, 400);
    assert.equal(res.text, 'no body found\n');
  });

  it('body over 6 MiB → 413', async () => {
    const big = JSON.stringify(
      review({ metadata: { annotations: { big: 'x'.repeat(6 * 1024 * 1024) } }, spec: {} }),
    );
    const res = await post('/inject', big);
    assert.equal(res.status, 413);
    assert.equal(res.text, `request body is ${Buffer.byteLength(big)} bytes; the limit is 6291456\n`);
  });

  it('wrong content type → 415', async () => {
    const res = await post('/inject', '{}', 'application/yaml');
    assert.equal(res.status, 415);
    assert.equal(res.text, 'invalid Content-Type "application/yaml", want "application/json"\n');
  });

  it('GET /inject → 405 with Allow', async () => {
    const res = await fetch(`${server.url}/inject`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    assert.equal(await res.text(), 'method GET not allowed; use POST\n');
  });

  it('unknown path → 404', async () => {
    const res = await post('/mutate', '{}');
    assert.equal(res.status, 404);
    assert.equal(res.text, 'no route; the webhook is at /inject\n');
  });

  it("malformed JSON → 200, allowed: false (our parse, not the framework's), nothing logged but our line", async () => {
    const res = await post('/inject', '{"apiVersion":');
    assert.equal(res.status, 200);
    const out = JSON.parse(res.text);
    assert.equal(out.response.allowed, false);
    assert.match(out.response.status.message, /^request body is not JSON: /);
    assert.doesNotMatch(server.output(), /SyntaxError|at JSON\.parse|node_modules/);
  });

  const reviewErrors: [string, unknown, string, string][] = [
    [
      'wrong kind',
      { apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: {} },
      'admission.k8s.io/v1',
      'invalid AdmissionReview: kind is "Pod", want "AdmissionReview"',
    ],
    [
      'unsupported version',
      { apiVersion: 'admission.k8s.io/v2', kind: 'AdmissionReview', request: { uid: 'u' } },
      'admission.k8s.io/v1beta1',
      'invalid AdmissionReview: apiVersion "admission.k8s.io/v2" is not supported; want admission.k8s.io/v1 or admission.k8s.io/v1beta1',
    ],
    [
      'no request',
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      'admission.k8s.io/v1',
      'invalid AdmissionReview: request is missing',
    ],
    [
      'missing uid',
      {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { kind: { kind: 'Pod' }, object: {} },
      },
      'admission.k8s.io/v1',
      'invalid AdmissionReview: request.uid is missing',
    ],
    [
      'missing object',
      {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: 'u1', kind: { group: '', version: 'v1', kind: 'Pod' } },
      },
      'admission.k8s.io/v1',
      'invalid AdmissionReview: request.object is missing',
    ],
  ];
  for (const [name, body, version, message] of reviewErrors) {
    it(`${name} → 200, allowed: false, "${message}"`, async () => {
      const out = await admit(body);
      assert.equal(out.apiVersion, version);
      assert.equal(out.response.allowed, false);
      assert.equal(out.response.status.message, message);
    });
  }

  it('an unknown template named by the pod → allowed: false naming the known ones', async () => {
    const out = await admit(
      review(deploymentPod('hello', { annotations: { 'inject.istio.io/templates': 'sidecar,nope' } })),
    );
    assert.equal(out.response.allowed, false);
    assert.match(out.response.status.message, /^requested template "nope" not found; have .*sidecar/);
  });

  it('the server survives all of the above', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});
