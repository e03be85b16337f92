import { parseStatus, STATUS_ANNOTATION } from '../finish/status.ts';
import type { Pod } from '../kube/types.ts';

/**
 * The pod as templates should see it: without a previous injection (the containers its status
 * annotation lists, and the annotation itself), so re-injecting an injected pod renders the same sidecar
 * as the first time.
 */
export function stripPreviousInjection(pod: Pod): Pod {
  const annotations = pod.metadata?.annotations;
  const status = parseStatus(annotations?.[STATUS_ANNOTATION]);
  if (!status || !annotations) return pod;
  const { [STATUS_ANNOTATION]: _, ...rest } = annotations;
  const spec = { ...pod.spec };
  if (spec.containers) spec.containers = spec.containers.filter((c) => !status.containers.includes(c.name));
  if (spec.initContainers)
    spec.initContainers = spec.initContainers.filter((c) => !status.initContainers.includes(c.name));
  return { ...pod, metadata: { ...pod.metadata, annotations: rest }, spec };
}
