import { isObject, type JsonObject } from '../json.ts';
import type { Pod } from './types.ts';
import { type Workload, workloadOf } from './workload.ts';

/** Kinds kube-inject injects, with where each keeps its pod template. */
const TEMPLATE_PATHS: Record<string, string[]> = {
  Deployment: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  DeploymentConfig: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** A pod inside a manifest: read it with `pod`, write the injected one back with `replace`. */
export interface PodSlot {
  pod: Pod;
  workload: Workload;
  replace(pod: Pod): void;
}

/**
 * The pods a manifest object holds: a Pod itself, the pod template of a workload, every item of a List.
 * Objects of other kinds hold none and pass through kube-inject unchanged. A CronJob's pod takes its
 * metadata from the job template, as istioctl does.
 */
export function podSlotsOf(doc: JsonObject): PodSlot[] {
  const kind = typeof doc.kind === 'string' ? doc.kind : '';
  if (kind === 'List') {
    return Array.isArray(doc.items) ? doc.items.filter(isObject).flatMap((item) => podSlotsOf(item)) : [];
  }
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const workload: Workload = {
    name: typeof meta.name === 'string' ? meta.name : '',
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    kind,
    apiVersion: typeof doc.apiVersion === 'string' ? doc.apiVersion : '',
  };
  if (kind === 'Pod') {
    // A Pod made by a controller (generateName and a controller owner) belongs to that controller's
    // workload, as istioctl kube-inject takes it (Istio's GetDeployMetaFromPod).
    return [{ pod: doc as Pod, workload: workloadOf(doc as Pod), replace: (pod) => Object.assign(doc, pod) }];
  }
  const path = TEMPLATE_PATHS[kind];
  if (!path) return [];
  const template = dig(doc, path);
  if (!template) return [];
  if (kind === 'CronJob') {
    const jobTemplate = dig(doc, ['spec', 'jobTemplate']) as JsonObject;
    return [
      {
        pod: {
          metadata: (jobTemplate.metadata ?? {}) as Pod['metadata'],
          spec: template.spec as Pod['spec'],
        },
        workload,
        replace: (pod) => {
          jobTemplate.metadata = pod.metadata;
          template.spec = pod.spec;
        },
      },
    ];
  }
  return [
    {
      pod: { metadata: (template.metadata ?? {}) as Pod['metadata'], spec: template.spec as Pod['spec'] },
      workload,
      replace: (pod) => {
        template.metadata = pod.metadata;
        template.spec = pod.spec;
      },
    },
  ];
}

function dig(o: JsonObject, path: string[]): JsonObject | undefined {
  let cur: JsonObject | undefined = o;
  for (const key of path) {
    const next: unknown = cur?.[key];
    cur = isObject(next) ? next : undefined;
  }
  return cur;
}
