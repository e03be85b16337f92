// What the e2e tests do on the API server, as a user's kubectl would: namespaces, pods, workloads, and
// `outrigger webhook-config` output applied unchanged.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../deploy/build.ts';
import type { ApiResponse, ControlPlane } from './control-plane.ts';

export type Pod = { apiVersion?: string; kind?: string; metadata: any; spec: any };

/** `outrigger webhook-config ARGS` from the built command; its YAML, as printed. */
export function webhookConfig(args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'webhook-config', ...args], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `webhook-config ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Applies YAML with kubectl, as a user pipes `webhook-config` into `kubectl apply -f -`. */
export async function apply(cp: ControlPlane, yamlText: string): Promise<string> {
  const r = await cp.kubectl(['apply', '-f', '-'], yamlText);
  assert.equal(r.status, 0, `kubectl apply: ${r.stderr}\n${yamlText}`);
  return r.stdout;
}

export async function deleteWebhooks(cp: ControlPlane): Promise<void> {
  const r = await cp.kubectl(['delete', 'mutatingwebhookconfigurations', '--all', '--wait=true']);
  assert.equal(r.status, 0, r.stderr);
}

/** Creates a namespace and waits for the controller manager to give it its `default` service account. */
export async function namespace(cp: ControlPlane, name: string, labels: Record<string, string> = {}) {
  const r = await cp.api('POST', '/api/v1/namespaces', { metadata: { name, labels } });
  assert.equal(r.status, 201, r.text);
  for (let i = 0; i < 300; i++) {
    if ((await cp.api('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.fail(`namespace ${name} got no default service account in 15 s`);
}

export function createPod(cp: ControlPlane, ns: string, pod: unknown, dryRun = false): Promise<ApiResponse> {
  return cp.api('POST', `/api/v1/namespaces/${ns}/pods${dryRun ? '?dryRun=All' : ''}`, pod);
}

/** A pod of one container, with `annotations` and `labels`. */
export function simplePod(
  name: string,
  meta: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name, ...meta.labels }, annotations: { ...meta.annotations } },
    spec: {
      containers: [{ name: 'app', image: 'registry.example/app:1', ports: [{ containerPort: 8080 }] }],
    },
  };
}

/** How many istio-proxy containers (sidecar or native sidecar) the pod has. */
export function proxies(pod: Pod): number {
  const all = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])];
  return all.filter((c: { name: string }) => c.name === 'istio-proxy').length;
}

/** Waits until `get` returns a value other than undefined. */
export async function eventually<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** A MutatingWebhookConfiguration of one webhook on pod creation in namespaces labelled `selector`. */
export function plainWebhook(
  config: string,
  name: string,
  url: string,
  caPem: string,
  selector: Record<string, string>,
) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: config },
    webhooks: [
      {
        name,
        clientConfig: { url, caBundle: Buffer.from(caPem).toString('base64') },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchLabels: selector },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        reinvocationPolicy: 'Never',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
      },
    ],
  };
}
