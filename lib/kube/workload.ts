import type { Pod } from './types.ts';

/** The workload a pod belongs to, as templates and logs name it (Istio's DeploymentMeta + TypeMeta). */
export interface Workload {
  name: string;
  namespace: string;
  kind: string;
  apiVersion: string;
}

const CRONJOB_JOB_NAME = /^(.+)-\d{8,10}$/;

/**
 * Derives the workload from the controller owner reference, as Istio's `GetDeployMetaFromPod` does:
 * only pods made by a controller (with `generateName`) are attributed to it, and a ReplicaSet with the
 * pod-template-hash suffix stands for its Deployment, a Job with a timestamp suffix for its CronJob.
 */
export function workloadOf(pod: Pod): Workload {
  const meta = pod.metadata ?? {};
  const labels = meta.labels ?? {};
  const out: Workload = {
    name: meta.name ?? '',
    namespace: meta.namespace ?? '',
    kind: 'Pod',
    apiVersion: 'v1',
  };
  if (!meta.generateName) return out;
  const ref = (meta.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return out;

  out.name = ref.name;
  out.kind = ref.kind;
  out.apiVersion = ref.apiVersion;
  const hash = labels['pod-template-hash'];
  const rolloutHash = labels['rollouts-pod-template-hash'];
  if (ref.kind === 'ReplicaSet' && hash && ref.name.endsWith(hash)) {
    out.name = trimSuffix(ref.name, `-${hash}`);
    out.kind = 'Deployment';
  } else if (ref.kind === 'ReplicaSet' && rolloutHash && ref.name.endsWith(rolloutHash)) {
    out.name = trimSuffix(ref.name, `-${rolloutHash}`);
    out.kind = 'Rollout';
    out.apiVersion = 'v1alpha1';
  } else if (ref.kind === 'ReplicationController' && labels.deploymentconfig) {
    out.name = labels.deploymentconfig;
    out.kind = 'DeploymentConfig';
  } else if (ref.kind === 'Job') {
    const m = CRONJOB_JOB_NAME.exec(ref.name);
    if (m?.[1]) {
      out.name = m[1];
      out.kind = 'CronJob';
      out.apiVersion = 'batch/v1';
    }
  }
  return out;
}

function trimSuffix(s: string, suffix: string): string {
  return s.endsWith(suffix) ? s.slice(0, -suffix.length) : s;
}
