import { type InjectionStatus, STATUS_ANNOTATION } from '../finish/status.ts';
import type { Pod } from '../kube/types.ts';

/**
 * The pod as templates should see it on re-injection: without what the previous injection added (the
 * containers its status annotation lists, the annotation itself, and the metrics annotations that
 * point at the agent), so re-injecting renders the same sidecar as the first injection did.
 */
export function stripPreviousInjection(pod: Pod, status: InjectionStatus, statusPort: string): Pod {
  const { [STATUS_ANNOTATION]: _, ...annotations } = pod.metadata?.annotations ?? {};
  if (annotations['prometheus.io/port'] === statusPort) {
    delete annotations['prometheus.io/port'];
    delete annotations['prometheus.io/path'];
    delete annotations['prometheus.io/scrape'];
  }
  // Sets, not lists: both sides come from the pod, and a lookup per container must not scan the record.
  const injected = { containers: new Set(status.containers), initContainers: new Set(status.initContainers) };
  const spec = { ...pod.spec };
  if (spec.containers) spec.containers = spec.containers.filter((c) => !injected.containers.has(c.name));
  if (spec.initContainers)
    spec.initContainers = spec.initContainers.filter((c) => !injected.initContainers.has(c.name));
  return { ...pod, metadata: { ...pod.metadata, annotations }, spec };
}
