// The bad-input corpus: every request here is sent through the real functions-framework server and
// through the Lambda handler (test/http/bad-inputs.test.ts), and each has its documented answer.
// bench/README.md, "Robustness", cites this table.
//
// Expectations, by kind:
//   http      our plain-text HTTP answer: status and exact text (or a precise regex)
//   refused   HTTP 200, AdmissionReview with allowed: false and exactly this message (or regex), in the
//             request's version (v1beta1 when unreadable) and with its uid ("" when unreadable)
//   unchanged HTTP 200, allowed: true, no patch
//   injected  HTTP 200, allowed: true, a JSONPatch that applies (rfc6902) to request.object AS SENT,
//             leaves every user container as it was, stays under 10,000 operations and, with
//             validPod, gives a Pod that passes the Kubernetes schema (kubernetes-models)
//
// The contract for malformed pods follows Kubernetes (and Istio, which decodes the pod with Go's
// encoding/json): `null` where an object or list belongs means "absent"; a field the injector reads that
// has the wrong JSON type (a number where a string belongs, a list where a map belongs, a null list
// item) is refused with a message that names the field: `invalid AdmissionReview: request.object.<path>
// must be <a string | a map | a list | an object | a boolean>`. A real API server never sends such pods
// (it decodes the typed Pod first), so these answers matter for robustness, not for users.

import { deploymentPod, review } from './reviews.ts';

export type Platform = 'gcp' | 'aws';

export type Expected =
  | { kind: 'http'; status: number; text: string | RegExp | ((body: Buffer) => string) }
  | { kind: 'refused'; message: string | RegExp; apiVersion?: string; uid?: string }
  | { kind: 'unchanged'; apiVersion?: string }
  | {
      kind: 'injected';
      apiVersion?: string;
      validPod?: boolean;
      /** Extra check on the patched pod; returns a problem or undefined. */
      check?: (patched: any, sent: any) => string | undefined;
    };

export interface BadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface BadInput {
  id: string;
  what: string;
  request: () => BadRequest;
  expect: Expected;
  gcp?: Expected;
  aws?: Expected;
  /** Only meaningful on one platform (e.g. a Lambda event shape). */
  only?: Platform;
  /** A Lambda event to send instead of one built from `request` (only with only: 'aws'). */
  lambdaEvent?: () => unknown;
}

export const LIMIT = 6 * 1024 * 1024;
const JSON_CT = { 'content-type': 'application/json' };
const V1 = 'admission.k8s.io/v1';
const V1BETA1 = 'admission.k8s.io/v1beta1';

/** Deterministic bytes (mulberry32), so every run sends the same corpus. */
export function seededBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

const once = <T>(make: () => T): (() => T) => {
  let v: T | undefined;
  return () => {
    v ??= make();
    return v;
  };
};

const post = (body: Buffer | string, headers: Record<string, string> = JSON_CT, path = '/inject') =>
  once((): BadRequest => ({
    method: 'POST',
    path,
    headers,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  }));
const postJson = (value: unknown) => post(JSON.stringify(value));
/** A review whose JSON text is built by `edit` from the hello review's text (for keys JS objects hide). */
const postEdited = (edit: (json: string) => string, pod: unknown = deploymentPod()) =>
  post(edit(JSON.stringify(review(pod))));

type AnyPod = ReturnType<typeof deploymentPod> & Record<string, any>;
const hello = (): AnyPod => deploymentPod() as AnyPod;
const withMeta = (meta: Record<string, unknown>): unknown => {
  const p = hello();
  return { ...p, metadata: { ...p.metadata, ...meta } };
};
const withSpec = (spec: Record<string, unknown>): unknown => {
  const p = hello();
  return { ...p, spec: { ...p.spec, ...spec } };
};
const withAnnotations = (annotations: Record<string, unknown>) => withMeta({ annotations });
const withContainer = (extra: Record<string, unknown>): unknown => {
  const p = hello();
  return { ...p, spec: { ...p.spec, containers: [{ ...p.spec.containers[0], ...extra }] } };
};

const notJson = /^request body is not JSON: \S/;
const notObject = 'invalid AdmissionReview: the body is not a JSON object';
const shape = (path: string, type: string) =>
  new RegExp(`^invalid AdmissionReview: request\\.object\\.${escapeRegExp(path)} must be ${type}$`);
/** Istio's wording: invalid value '<value>' for annotation 'proxy.istio.io/config': <problem>. */
const badProxyConfig = (problem: RegExp) =>
  new RegExp(`^invalid value '.*' for annotation 'proxy\\.istio\\.io/config': ${problem.source}`, 's');

const overAnnotationLimit = (largest: string) =>
  new RegExp(
    `^metadata\\.annotations hold \\d+ bytes, over Kubernetes' limit of 262144; the largest is "${escapeRegExp(largest)}"`,
  );

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const deep = (depth: number, inner = '{}') => `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;

const labelsKept =
  (keys: [string, string][], field: 'labels' | 'annotations') =>
  (patched: any): string | undefined => {
    const map = patched?.metadata?.[field] ?? {};
    for (const [k, v] of keys) {
      if (!Object.hasOwn(map, k) || map[k] !== v) return `${field}[${JSON.stringify(k)}] was not kept`;
    }
    return undefined;
  };

export const BAD_INPUTS: BadInput[] = [
  // --- sanity: the same pipeline answers a good request ---------------------------------------------
  {
    id: 'hello',
    what: 'a good v1 review of the hello Deployment pod (control)',
    request: postJson(review(hello())),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'hello-v1beta1',
    what: 'a good v1beta1 review (answered in v1beta1)',
    request: postJson(review(hello(), { version: 'v1beta1' })),
    expect: { kind: 'injected', apiVersion: V1BETA1, validPod: true },
  },

  // --- bytes that are not a review ----------------------------------------------------------------
  {
    id: 'random-bytes',
    what: '4 KiB of random bytes as application/json',
    request: post(seededBytes(4096, 1)),
    expect: { kind: 'refused', message: notJson, apiVersion: V1BETA1, uid: '' },
  },
  {
    id: 'truncated-json',
    what: 'the hello review cut off at 60%',
    request: once(() => {
      const text = JSON.stringify(review(hello()));
      return post(text.slice(0, Math.floor(text.length * 0.6)))();
    }),
    expect: { kind: 'refused', message: notJson, apiVersion: V1BETA1, uid: '' },
  },
  {
    id: 'empty-body',
    what: 'an empty body',
    request: post(''),
    expect: { kind: 'http', status: 400, text: 'no body found\n' },
  },
  {
    id: 'json-string',
    what: 'a JSON string',
    request: post('"AdmissionReview"'),
    expect: { kind: 'refused', message: notObject, apiVersion: V1BETA1, uid: '' },
  },
  {
    id: 'json-null',
    what: 'JSON null',
    request: post('null'),
    expect: { kind: 'refused', message: notObject, apiVersion: V1BETA1, uid: '' },
  },
  {
    id: 'json-number',
    what: 'a JSON number',
    request: post('42'),
    expect: { kind: 'refused', message: notObject, apiVersion: V1BETA1, uid: '' },
  },
  {
    id: 'json-array',
    what: 'a JSON list holding the review',
    request: once(() => post(`[${JSON.stringify(review(hello()))}]`)()),
    expect: { kind: 'refused', message: notObject, apiVersion: V1BETA1, uid: '' },
  },
  {
    id: 'utf8-bom',
    what: 'the hello review behind a UTF-8 byte order mark',
    request: once(() =>
      post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(review(hello())))]))(),
    ),
    // RFC 8259 lets a parser either reject or ignore a BOM: body-parser ignores it, JSON.parse rejects it.
    expect: { kind: 'refused', message: notJson, apiVersion: V1BETA1, uid: '' },
  },

  // --- content types ------------------------------------------------------------------------------
  ...(
    [
      ['ct-text', 'text/plain'],
      ['ct-yaml', 'application/yaml'],
      ['ct-form', 'application/x-www-form-urlencoded'],
      ['ct-multipart', 'multipart/form-data; boundary=x'],
      ['ct-merge-patch', 'application/merge-patch+json'],
    ] as const
  ).map(([id, type]): BadInput => ({
    id,
    what: `the hello review as ${type}`,
    request: post(JSON.stringify(review(hello())), { 'content-type': type }),
    expect: {
      kind: 'http',
      status: 415,
      text: `invalid Content-Type ${JSON.stringify(type)}, want "application/json"\n`,
    },
  })),
  {
    id: 'ct-missing',
    what: 'the hello review with no Content-Type header',
    request: post(JSON.stringify(review(hello())), {}),
    expect: { kind: 'http', status: 415, text: 'invalid Content-Type "", want "application/json"\n' },
  },
  {
    id: 'ct-latin1',
    what: 'application/json; charset=latin1',
    request: post(JSON.stringify(review(hello())), { 'content-type': 'application/json; charset=latin1' }),
    expect: {
      kind: 'http',
      status: 415,
      text: 'invalid Content-Type "application/json; charset=latin1", want "application/json"\n',
    },
  },
  {
    id: 'ct-case',
    what: 'Content-Type "Application/JSON; Charset=UTF-8" (case-insensitive, accepted)',
    request: post(JSON.stringify(review(hello())), { 'content-type': 'Application/JSON; Charset=UTF-8' }),
    expect: { kind: 'injected', validPod: true },
  },

  // --- sizes --------------------------------------------------------------------------------------
  {
    id: 'body-over-6MiB',
    what: 'a valid review of 6 MiB + 100 bytes (a 6 MiB annotation)',
    request: once(() => post(JSON.stringify(review(withAnnotations({ big: 'x'.repeat(LIMIT) }))))()),
    expect: {
      kind: 'http',
      status: 413,
      text: (body) => `request body is ${body.length} bytes; the limit is ${LIMIT}\n`,
    },
  },
  {
    id: 'garbage-over-6MiB',
    what: '7 MiB of random bytes',
    request: once(() => post(seededBytes(7 * 1024 * 1024, 2))()),
    expect: {
      kind: 'http',
      status: 413,
      text: (body) => `request body is ${body.length} bytes; the limit is ${LIMIT}\n`,
    },
  },
  {
    id: 'body-exactly-6MiB',
    what: 'a valid review of exactly 6 MiB (accepted)',
    request: once(() => {
      const big = (value: string) => review(withContainer({ env: [{ name: 'BIG', value }] }));
      const base = JSON.stringify(big(''));
      return post(JSON.stringify(big('y'.repeat(LIMIT - base.length))))();
    }),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'annotation-1MiB',
    what: "an unrelated annotation of 1 MiB (over Kubernetes' 256 KiB for all annotations)",
    request: once(() => postJson(review(withAnnotations({ 'example.com/blob': 'z'.repeat(1 << 20) })))()),
    expect: { kind: 'refused', message: overAnnotationLimit('example.com/blob') },
  },
  {
    id: 'proxy-image-1MiB',
    what: 'sidecar.istio.io/proxyImage of 1 MiB (read by the template)',
    request: once(() =>
      postJson(review(withAnnotations({ 'sidecar.istio.io/proxyImage': `r/${'i'.repeat(1 << 20)}` })))(),
    ),
    expect: { kind: 'refused', message: overAnnotationLimit('sidecar.istio.io/proxyImage') },
  },
  {
    id: 'proxy-image-200KiB',
    what: 'sidecar.istio.io/proxyImage of 200 KiB, inside the annotation limit (read by the template)',
    request: once(() =>
      postJson(review(withAnnotations({ 'sidecar.istio.io/proxyImage': `r/${'i'.repeat(200 << 10)}` })))(),
    ),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'proxy-config-200KiB',
    what: 'proxy.istio.io/config holding a 200 KiB proxyMetadata value',
    request: once(() =>
      postJson(
        review(
          withAnnotations({
            'proxy.istio.io/config': JSON.stringify({ proxyMetadata: { BIG: 'm'.repeat(200 << 10) } }),
          }),
        ),
      )(),
    ),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'env-2000',
    what: 'a container with 2000 env vars',
    request: postJson(
      review(
        withContainer({ env: Array.from({ length: 2000 }, (_, i) => ({ name: `E${i}`, value: `${i}` })) }),
      ),
    ),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'containers-300',
    what: '300 containers',
    request: once(() => {
      const p = hello();
      p.spec.containers = Array.from({ length: 300 }, (_, i) => ({
        name: `c${i}`,
        image: 'busybox',
        ports: [],
      }));
      return postJson(review(p))();
    }),
    expect: { kind: 'injected', validPod: true },
  },

  // --- nesting ------------------------------------------------------------------------------------
  {
    id: 'deep-10000-in-container',
    what: 'an unknown container field nested 10,000 objects deep',
    request: postEdited((json) => json.replace('"name":"hello",', `"name":"hello","x":${deep(10_000)},`)),
    expect: { kind: 'injected' },
  },
  {
    id: 'deep-10000-in-metadata',
    what: 'an unknown metadata field nested 10,000 objects deep',
    request: postEdited((json) => json.replace('"metadata":{', `"metadata":{"x":${deep(10_000)},`)),
    expect: { kind: 'injected' },
  },
  {
    id: 'deep-10000-review',
    what: 'a review whose request is nested 10,000 objects deep',
    request: post(`{"apiVersion":"${V1}","kind":"AdmissionReview","request":${deep(10_000)}}`),
    expect: {
      kind: 'refused',
      message: 'invalid AdmissionReview: request.uid is missing',
      apiVersion: V1,
      uid: '',
    },
  },
  {
    id: 'deep-100000-list',
    what: 'a body of 100,000 nested lists',
    request: post(`${'['.repeat(100_000)}${']'.repeat(100_000)}`),
    expect: { kind: 'refused', message: notObject, apiVersion: V1BETA1, uid: '' },
  },
  {
    id: 'deep-10000-proxy-config',
    what: 'proxy.istio.io/config of 10,000 nested flow lists',
    request: postJson(
      review(withAnnotations({ 'proxy.istio.io/config': `${'['.repeat(10_000)}${']'.repeat(10_000)}` })),
    ),
    expect: { kind: 'refused', message: badProxyConfig(/not YAML: \S/) },
  },

  // --- encodings ----------------------------------------------------------------------------------
  {
    id: 'invalid-utf8',
    what: 'invalid UTF-8 bytes (FF FE 80) inside an annotation value',
    request: once(() => {
      const [a, b] = JSON.stringify(review(withAnnotations({ note: 'AB' }))).split('"note":"A');
      return post(
        Buffer.concat([
          Buffer.from(`${a}"note":"A`),
          Buffer.from([0xff, 0xfe, 0x80]),
          Buffer.from(b as string),
        ]),
      )();
    }),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'lone-surrogate',
    what: 'a lone surrogate escape (\\ud800) in sidecar.istio.io/proxyImage',
    request: postEdited((json) =>
      json.replace(
        '"metadata":{',
        '"metadata":{"annotations":{"sidecar.istio.io/proxyImage":"r/p\\ud800x"},',
      ),
    ),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'nul-and-controls',
    what: 'NUL, newline and U+2028 in the inject annotation and a label',
    request: postJson(
      review(
        withMeta({
          annotations: { 'sidecar.istio.io/inject': 'true\u0000\n', 'example.com/x': 'a\u2028b' },
          labels: { app: 'hello\u0000', 'pod-template-hash': '7d4b9' },
        }),
      ),
    ),
    expect: { kind: 'injected' },
  },

  // --- HTTP method and path -----------------------------------------------------------------------
  {
    id: 'method-get',
    what: 'GET /inject',
    request: once(() => ({ method: 'GET', path: '/inject', headers: {}, body: Buffer.alloc(0) })),
    expect: { kind: 'http', status: 405, text: 'method GET not allowed; use POST\n' },
  },
  {
    id: 'method-put',
    what: 'PUT /inject with the hello review',
    request: once(() => ({ ...post(JSON.stringify(review(hello())))(), method: 'PUT' })),
    expect: { kind: 'http', status: 405, text: 'method PUT not allowed; use POST\n' },
  },
  {
    id: 'path-unknown',
    what: 'POST /mutate',
    request: post(JSON.stringify(review(hello())), JSON_CT, '/mutate'),
    expect: { kind: 'http', status: 404, text: 'no route; the webhook is at /inject\n' },
  },
  {
    id: 'path-bad-percent',
    what: 'POST /inject/cluster/%E0%A4%A/net/n (a malformed percent escape)',
    request: post(JSON.stringify(review(hello())), JSON_CT, '/inject/cluster/%E0%A4%A/net/n'),
    expect: { kind: 'injected', validPod: true },
  },

  // --- the AdmissionReview envelope ---------------------------------------------------------------
  {
    id: 'review-wrong-kind',
    what: 'kind "Pod" instead of "AdmissionReview"',
    request: postJson({ ...review(hello()), kind: 'Pod' }),
    expect: { kind: 'refused', message: 'invalid AdmissionReview: kind is "Pod", want "AdmissionReview"' },
  },
  {
    id: 'review-v2',
    what: 'apiVersion admission.k8s.io/v2',
    request: postJson({ ...review(hello()), apiVersion: 'admission.k8s.io/v2' }),
    expect: {
      kind: 'refused',
      apiVersion: V1BETA1,
      message: `invalid AdmissionReview: apiVersion "admission.k8s.io/v2" is not supported; want ${V1} or ${V1BETA1}`,
    },
  },
  {
    id: 'review-version-number',
    what: 'apiVersion 1 (a number)',
    request: postJson({ ...review(hello()), apiVersion: 1 }),
    expect: {
      kind: 'refused',
      apiVersion: V1BETA1,
      message: `invalid AdmissionReview: apiVersion 1 is not supported; want ${V1} or ${V1BETA1}`,
    },
  },
  {
    id: 'request-missing',
    what: 'no request',
    request: postJson({ apiVersion: V1, kind: 'AdmissionReview' }),
    expect: { kind: 'refused', message: 'invalid AdmissionReview: request is missing', uid: '' },
  },
  {
    id: 'request-null',
    what: 'request: null',
    request: postJson({ apiVersion: V1, kind: 'AdmissionReview', request: null }),
    expect: { kind: 'refused', message: 'invalid AdmissionReview: request is missing', uid: '' },
  },
  {
    id: 'request-list',
    what: 'request: a list',
    request: postJson({ apiVersion: V1, kind: 'AdmissionReview', request: [review(hello()).request] }),
    expect: { kind: 'refused', message: 'invalid AdmissionReview: request is missing', uid: '' },
  },
  {
    id: 'uid-missing',
    what: 'request without uid',
    request: once(() => {
      const r: any = review(hello());
      delete r.request.uid;
      return postJson(r)();
    }),
    expect: { kind: 'refused', message: 'invalid AdmissionReview: request.uid is missing', uid: '' },
  },
  {
    id: 'uid-number',
    what: 'request.uid: 42',
    request: postJson(review(hello(), { uid: 42 as unknown as string })),
    expect: {
      kind: 'refused',
      message: /^invalid AdmissionReview: request\.uid (is missing|must be a string)$/,
      uid: '',
    },
  },
  {
    id: 'object-missing',
    what: 'a Pod review without request.object',
    request: once(() => {
      const r: any = review(hello());
      delete r.request.object;
      return postJson(r)();
    }),
    expect: { kind: 'refused', message: 'invalid AdmissionReview: request.object is missing' },
  },
  {
    id: 'object-null',
    what: 'request.object: null',
    request: postJson(review(null)),
    expect: { kind: 'refused', message: 'invalid AdmissionReview: request.object is missing' },
  },
  {
    id: 'object-list',
    what: 'request.object: a list',
    request: postJson(review([hello()])),
    expect: { kind: 'refused', message: 'invalid AdmissionReview: request.object is not an object' },
  },
  {
    id: 'object-string',
    what: 'request.object: a string',
    request: postJson(review('pod')),
    expect: { kind: 'refused', message: 'invalid AdmissionReview: request.object is not an object' },
  },

  // --- objects that are not pods ------------------------------------------------------------------
  {
    id: 'configmap',
    what: 'a ConfigMap review',
    request: postJson(
      review({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, { kind: 'ConfigMap' }),
    ),
    expect: { kind: 'unchanged' },
  },
  {
    id: 'pod-other-group',
    what: 'kind Pod in group example.com',
    request: once(() => {
      const r = review(hello());
      r.request.kind.group = 'example.com';
      return postJson(r)();
    }),
    expect: { kind: 'unchanged' },
  },
  {
    id: 'kind-missing',
    what: 'request.kind missing (documented: not a Pod, allowed unchanged)',
    request: once(() => {
      const r: any = review(hello());
      delete r.request.kind;
      return postJson(r)();
    }),
    expect: { kind: 'unchanged' },
  },

  // --- nulls where objects belong: absent, as Kubernetes reads them --------------------------------
  {
    id: 'metadata-null',
    what: 'metadata: null',
    request: postJson(review({ ...hello(), metadata: null })),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'spec-null',
    what: 'spec: null',
    request: postJson(review({ ...hello(), spec: null })),
    expect: { kind: 'injected' },
  },
  {
    id: 'containers-null',
    what: 'spec.containers: null',
    request: postJson(review(withSpec({ containers: null }))),
    expect: { kind: 'injected' },
  },
  {
    id: 'annotations-null',
    what: 'metadata.annotations: null',
    request: postJson(review(withMeta({ annotations: null }))),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'labels-null',
    what: 'metadata.labels: null',
    request: postJson(review(withMeta({ labels: null }))),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'volumes-null',
    what: 'spec.volumes: null',
    request: postJson(review(withSpec({ volumes: null }))),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'init-containers-null',
    what: 'spec.initContainers: null',
    request: postJson(review(withSpec({ initContainers: null }))),
    expect: { kind: 'injected', validPod: true },
  },

  // --- wrong types in fields the injector reads: refused, naming the field -------------------------
  {
    id: 'container-null',
    what: 'spec.containers: [null]',
    request: postJson(review(withSpec({ containers: [null] }))),
    expect: { kind: 'refused', message: shape('spec.containers[0]', 'an object') },
  },
  {
    id: 'init-container-null',
    what: 'spec.initContainers: [null]',
    request: postJson(review(withSpec({ initContainers: [null] }))),
    expect: { kind: 'refused', message: shape('spec.initContainers[0]', 'an object') },
  },
  {
    id: 'containers-map',
    what: 'spec.containers: a map of containers',
    request: postJson(review(withSpec({ containers: { hello: { name: 'hello', image: 'busybox' } } }))),
    expect: { kind: 'refused', message: shape('spec.containers', 'a list') },
  },
  {
    id: 'container-name-number',
    what: 'spec.containers[0].name: 5',
    request: postJson(review(withContainer({ name: 5 }))),
    expect: { kind: 'refused', message: shape('spec.containers[0].name', 'a string') },
  },
  {
    id: 'labels-list',
    what: 'metadata.labels: a list',
    request: postJson(review(withMeta({ labels: ['app=hello'] }))),
    expect: { kind: 'refused', message: shape('metadata.labels', 'a map') },
  },
  {
    id: 'annotations-string',
    what: 'metadata.annotations: a string',
    request: postJson(review(withMeta({ annotations: 'sidecar.istio.io/inject=false' }))),
    expect: { kind: 'refused', message: shape('metadata.annotations', 'a map') },
  },
  {
    id: 'annotation-number',
    what: 'sidecar.istio.io/proxyCPU: 5 (a number)',
    request: postJson(review(withAnnotations({ 'sidecar.istio.io/proxyCPU': 5 }))),
    expect: {
      kind: 'refused',
      message: shape('metadata.annotations["sidecar.istio.io/proxyCPU"]', 'a string'),
    },
  },
  {
    id: 'inject-annotation-bool',
    what: 'sidecar.istio.io/inject: false (a boolean, the classic unquoted-YAML mistake)',
    request: postJson(review(withAnnotations({ 'sidecar.istio.io/inject': false }))),
    expect: {
      kind: 'refused',
      message: shape('metadata.annotations["sidecar.istio.io/inject"]', 'a string'),
    },
  },
  {
    id: 'templates-annotation-number',
    what: 'inject.istio.io/templates: 5',
    request: postJson(review(withAnnotations({ 'inject.istio.io/templates': 5 }))),
    expect: {
      kind: 'refused',
      message: shape('metadata.annotations["inject.istio.io/templates"]', 'a string'),
    },
  },
  {
    id: 'proxy-config-map',
    what: 'proxy.istio.io/config: a map instead of a string',
    request: postJson(
      review(withAnnotations({ 'proxy.istio.io/config': { holdApplicationUntilProxyStarts: true } })),
    ),
    expect: { kind: 'refused', message: shape('metadata.annotations["proxy.istio.io/config"]', 'a string') },
  },
  {
    id: 'label-value-map',
    what: 'a label whose value is a map',
    request: postJson(
      review(withMeta({ labels: { app: 'hello', 'pod-template-hash': '7d4b9', x: { y: 'z' } } })),
    ),
    expect: { kind: 'refused', message: shape('metadata.labels["x"]', 'a string') },
  },
  {
    id: 'owner-reference-null',
    what: 'metadata.ownerReferences: [null]',
    request: postJson(review(withMeta({ ownerReferences: [null] }))),
    expect: { kind: 'refused', message: shape('metadata.ownerReferences[0]', 'an object') },
  },
  {
    id: 'owner-name-number',
    what: 'metadata.ownerReferences[0].name: 5',
    request: postJson(
      review(
        withMeta({
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 5, uid: 'u', controller: true },
          ],
        }),
      ),
    ),
    expect: { kind: 'refused', message: shape('metadata.ownerReferences[0].name', 'a string') },
  },
  {
    id: 'generate-name-number',
    what: 'metadata.generateName: 5',
    request: postJson(review(withMeta({ generateName: 5 }))),
    expect: { kind: 'refused', message: shape('metadata.generateName', 'a string') },
  },
  {
    id: 'host-network-string',
    what: 'spec.hostNetwork: "true" (a string)',
    request: postJson(review(withSpec({ hostNetwork: 'true' }))),
    expect: { kind: 'refused', message: shape('spec.hostNetwork', 'a boolean') },
  },
  {
    id: 'container-port-string',
    what: 'containerPort "80" (a field the injector does not read: passed through)',
    request: postJson(review(withContainer({ ports: [{ containerPort: '80' }] }))),
    expect: { kind: 'injected' },
  },

  // --- semantics a real API server can send -------------------------------------------------------
  {
    id: 'duplicate-container-names',
    what: 'two containers named "app" (validation rejects it later; the injector must not care)',
    request: postJson(
      review(
        withSpec({
          containers: [
            { name: 'app', image: 'a' },
            { name: 'app', image: 'b' },
          ],
        }),
      ),
    ),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'proto-keys-labels',
    what: 'labels "__proto__", "constructor", "toString" (string values)',
    request: postEdited((json) =>
      json.replace('"app":"hello"', '"app":"hello","__proto__":"p","constructor":"c","toString":"t"'),
    ),
    expect: {
      kind: 'injected',
      validPod: true,
      check: labelsKept(
        [
          ['__proto__', 'p'],
          ['constructor', 'c'],
          ['toString', 't'],
        ],
        'labels',
      ),
    },
  },
  {
    id: 'annotation-constructor',
    what: 'annotation "constructor" (a valid Kubernetes key, and an Object.prototype name)',
    request: postJson(review(withAnnotations({ constructor: 'c' }))),
    expect: { kind: 'injected', validPod: true, check: labelsKept([['constructor', 'c']], 'annotations') },
  },
  {
    id: 'annotation-hasOwnProperty',
    what: 'annotation "hasOwnProperty"',
    request: postJson(review(withAnnotations({ hasOwnProperty: 'h' }))),
    expect: { kind: 'injected', validPod: true, check: labelsKept([['hasOwnProperty', 'h']], 'annotations') },
  },
  {
    id: 'annotation-proto',
    what: 'annotation "__proto__" (a string value)',
    request: postEdited((json) =>
      json.replace('"metadata":{', '"metadata":{"annotations":{"__proto__":"p"},'),
    ),
    expect: { kind: 'injected', validPod: true, check: labelsKept([['__proto__', 'p']], 'annotations') },
  },
  {
    id: 'proto-inject-label',
    what: 'a "__proto__" label map hiding sidecar.istio.io/inject: "false"',
    request: postEdited((json) =>
      json.replace('"app":"hello"', '"app":"hello","__proto__":{"sidecar.istio.io/inject":"false"}'),
    ),
    expect: { kind: 'refused', message: shape('metadata.labels["__proto__"]', 'a string') },
  },
  {
    id: 'templates-constructor',
    what: 'inject.istio.io/templates: "constructor" (an Object.prototype name)',
    request: postJson(review(withAnnotations({ 'inject.istio.io/templates': 'constructor' }))),
    expect: { kind: 'refused', message: /^requested template "constructor" not found; have .*\bsidecar\b/ },
  },
  {
    id: 'templates-proto',
    what: 'inject.istio.io/templates: "__proto__"',
    request: postJson(review(withAnnotations({ 'inject.istio.io/templates': '__proto__' }))),
    expect: { kind: 'refused', message: /^requested template "__proto__" not found; have .*\bsidecar\b/ },
  },
  {
    id: 'proxy-config-proto',
    what: 'proxy.istio.io/config: {"__proto__": {...}}',
    request: postJson(
      review(
        withAnnotations({
          'proxy.istio.io/config': '{"__proto__": {"holdApplicationUntilProxyStarts": true}}',
        }),
      ),
    ),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'proxy-config-bad-yaml',
    what: 'proxy.istio.io/config that is not YAML',
    request: postJson(review(withAnnotations({ 'proxy.istio.io/config': 'a: b: c: [' }))),
    expect: { kind: 'refused', message: badProxyConfig(/not YAML: \S/) },
  },
  {
    id: 'proxy-config-invalid-200KiB',
    what: 'proxy.istio.io/config of 200 KiB that is not YAML',
    request: once(() =>
      postJson(review(withAnnotations({ 'proxy.istio.io/config': `a: b: ${'c'.repeat(200 << 10)}` })))(),
    ),
    expect: { kind: 'refused', message: badProxyConfig(/not YAML: \S/) },
  },
  {
    id: 'proxy-config-list',
    what: 'proxy.istio.io/config that is a YAML list',
    request: postJson(review(withAnnotations({ 'proxy.istio.io/config': '[1, 2]' }))),
    expect: {
      kind: 'refused',
      message: "invalid value '[1, 2]' for annotation 'proxy.istio.io/config': must be a ProxyConfig map",
    },
  },
  {
    id: 'unknown-template',
    what: 'inject.istio.io/templates naming an unknown template',
    request: postJson(review(withAnnotations({ 'inject.istio.io/templates': 'sidecar,nope' }))),
    expect: { kind: 'refused', message: /^requested template "nope" not found; have .*\bsidecar\b/ },
  },
  {
    id: 'status-garbage',
    what: 'a sidecar.istio.io/status annotation that is not a status',
    request: postJson(review(withAnnotations({ 'sidecar.istio.io/status': '{"containers": 5}' }))),
    expect: { kind: 'injected', validPod: true },
  },
  {
    id: 'host-network',
    what: 'a host-network pod (never injected)',
    request: postJson(review(withSpec({ hostNetwork: true }))),
    expect: { kind: 'unchanged' },
  },
  {
    id: 'kube-system',
    what: 'a pod in kube-system (never injected)',
    request: postJson(review(hello(), { namespace: 'kube-system' })),
    expect: { kind: 'unchanged' },
  },

  // --- Lambda event shapes ------------------------------------------------------------------------
  {
    id: 'lambda-not-http',
    what: 'a Lambda event that is not an HTTP event ({})',
    only: 'aws',
    request: post(''),
    lambdaEvent: () => ({}),
    expect: {
      kind: 'http',
      status: 400,
      text: 'not an HTTP event: want an API Gateway REST or HTTP API event or a Function URL request\n',
    },
  },
  {
    id: 'lambda-null-event',
    what: 'a null Lambda event',
    only: 'aws',
    request: post(''),
    lambdaEvent: () => null,
    expect: {
      kind: 'http',
      status: 400,
      text: 'not an HTTP event: want an API Gateway REST or HTTP API event or a Function URL request\n',
    },
  },
  {
    id: 'lambda-no-body',
    what: 'a Function URL event without a body',
    only: 'aws',
    request: post(''),
    lambdaEvent: () => ({
      version: '2.0',
      rawPath: '/inject',
      headers: JSON_CT,
      requestContext: { http: { method: 'POST' } },
      isBase64Encoded: false,
    }),
    expect: { kind: 'http', status: 400, text: 'no body found\n' },
  },
  {
    id: 'lambda-bad-base64',
    what: 'isBase64Encoded with a body that is not base64',
    only: 'aws',
    request: post('!!!! not base64 ####'),
    lambdaEvent: () => ({
      version: '2.0',
      rawPath: '/inject',
      headers: JSON_CT,
      requestContext: { http: { method: 'POST' } },
      body: '!!!! not base64 ####',
      isBase64Encoded: true,
    }),
    expect: { kind: 'refused', message: notJson, apiVersion: V1BETA1, uid: '' },
  },
  {
    id: 'lambda-rest-api',
    what: 'an API Gateway REST API (payload 1.0) event with Content-Type in mixed case',
    only: 'aws',
    request: postJson(review(hello())),
    lambdaEvent: () => ({
      httpMethod: 'POST',
      path: '/inject',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(review(hello())),
      isBase64Encoded: false,
    }),
    expect: { kind: 'injected', validPod: true },
  },
];
