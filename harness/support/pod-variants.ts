// Review bodies for benchmarks and load tests: distinct pods (no cache can help), env-heavy pods, and
// the replicas of one ReplicaSet (identical pods, distinct request uids).
import { deploymentPod, review } from './reviews.ts';

/** The hello Deployment pod of replica set `i`: its own app name, hash, version label and uid. */
export function helloReview(i: number) {
  const hash = (0x7d4b9 + i).toString(36);
  const pod = deploymentPod(`hello-${i}`, { labels: { version: `v${i % 97}`, tier: `t${i % 13}` } });
  pod.metadata.generateName = `hello-${i}-${hash}-`;
  pod.metadata.labels['pod-template-hash'] = hash;
  const owner = pod.metadata.ownerReferences[0];
  if (owner) {
    owner.name = `hello-${i}-${hash}`;
    owner.uid = `rs-uid-${i}`;
  }
  return review(pod, { uid: `0b5a4e5c-0000-4000-8000-${i.toString(16).padStart(12, '0')}` });
}

/** `n` distinct hello reviews as JSON text, starting at index `from`. */
export function distinctHelloBodies(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, k) => JSON.stringify(helloReview(from + k)));
}

/** A hello pod whose one container has `envCount` env vars (values and fieldRefs), as pod `i`. */
export function envHeavyReview(i: number, envCount = 2000) {
  const r = helloReview(i);
  const pod = r.request.object as { spec: { containers: Record<string, unknown>[] } };
  const container = pod.spec.containers[0] as Record<string, unknown>;
  container.env = Array.from({ length: envCount }, (_, k) =>
    k % 10 === 9
      ? { name: `POD_FIELD_${i}_${k}`, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }
      : { name: `SETTING_${i}_${k}`, value: `value-${i}-${k}-${'x'.repeat(k % 17)}` },
  );
  return r;
}

/** `n` reviews of replicas of one ReplicaSet: the same pod, only the request uid differs. */
export function replicaBodies(n: number, replicaSet = 0): string[] {
  const base = helloReview(replicaSet);
  return Array.from({ length: n }, (_, k) => {
    base.request.uid = `5e1f0c2d-0000-4000-8000-${k.toString(16).padStart(12, '0')}`;
    return JSON.stringify(base);
  });
}
