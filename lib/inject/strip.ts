import { prometheusField } from '../finish/prometheus.ts';
import { type InjectionStatus, STATUS_ANNOTATION } from '../finish/status.ts';
import type { Pod } from '../kube/types.ts';

/**
 * The pod as templates should see it on re-injection: without what the previous injection added (the
 * containers its status annotation lists, the annotation itself, and the metrics annotations that
 * point at the agent), so re-injecting renders the same sidecar as the first injection did.
 */
export function stripPreviousInjection(pod: Pod, status: InjectionStatus, statusPort: string): Pod {
  const { [STATUS_ANNOTATION]: _, ...annotations } = pod.metadata?.annotations ?? {};
  // In any spelling Prometheus reads (`prometheus-io/port`, `prometheus.io.port`), as Istio's stripPod.
  const keys = Object.keys(annotations);
  const port = keys.find((k) => prometheusField(k) === 'port');
  if (port !== undefined && annotations[port] === statusPort) {
    for (const k of keys) if (prometheusField(k) !== undefined) delete annotations[k];
  }
  // Sets, not lists: both sides come from the pod, and a lookup per container must not scan the record.
  const injected = { containers: new Set(status.containers), initContainers: new Set(status.initContainers) };
  const spec = { ...pod.spec };
  if (spec.containers) spec.containers = spec.containers.filter((c) => !injected.containers.has(c.name));
  if (spec.initContainers)
    spec.initContainers = spec.initContainers.filter((c) => !injected.initContainers.has(c.name));
  return { ...pod, metadata: { ...pod.metadata, annotations }, spec };
}
