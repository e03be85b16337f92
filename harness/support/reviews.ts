import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

export const CASES = new URL('../../test/conformance/istio/cases/', import.meta.url);

/** A pod as a ReplicaSet of Deployment `name` would create it (generateName, owner, hash label). */
export function deploymentPod(
  name = 'hello',
  extra: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${name}-7d4b9-`,
      labels: { app: name, 'pod-template-hash': '7d4b9', ...extra.labels },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-7d4b9`, uid: 'rs-uid', controller: true },
      ],
    },
    spec: {
      containers: [
        {
          name,
          image: 'fake.docker.io/google-samples/hello-go-gke:1.0',
          ports: [{ name: 'http', containerPort: 80 }],
        },
      ],
    },
  };
}

export function review(
  object: unknown,
  opts: { version?: 'v1' | 'v1beta1'; uid?: string; namespace?: string; kind?: string } = {},
) {
  return {
    apiVersion: `admission.k8s.io/${opts.version ?? 'v1'}`,
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? '0b5a4e5c-7d3f-4a8e-9a43-1f0c2d7e9b11',
      kind: { group: '', version: 'v1', kind: opts.kind ?? 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: opts.namespace ?? 'default',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object,
      dryRun: false,
    },
  };
}

export function readCase(name: string): unknown[] {
  return yaml.loadAll(readFileSync(new URL(name, CASES), 'utf8')).filter((d) => d !== null);
}
