import assert from 'node:assert/strict';
import jsonpatch from 'fast-json-patch';

/** The pod an AdmissionReview answer turns `pod` into, asserting the answer allowed it with a patch. */
export function patchedPod(answer: unknown, pod: unknown): Record<string, unknown> {
  const response = (answer as { response?: { allowed?: boolean; patch?: string } }).response;
  assert.equal(response?.allowed, true, JSON.stringify(answer));
  assert.ok(response?.patch, `no patch in ${JSON.stringify(answer)}`);
  const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
  return jsonpatch.applyPatch(structuredClone(pod), ops, true, false).newDocument as Record<string, unknown>;
}

/** `name=value` of every env var of the istio-proxy container, wherever the profile put it. */
export function proxyEnv(pod: Record<string, unknown>): Record<string, string> {
  const spec = pod.spec as { containers?: unknown[]; initContainers?: unknown[] };
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as {
    name: string;
    env?: { name: string; value?: string }[];
  }[];
  const proxy = all.find((c) => c.name === 'istio-proxy');
  assert.ok(proxy, 'no istio-proxy container');
  return Object.fromEntries((proxy.env ?? []).map((e) => [e.name, e.value ?? '']));
}
