import { InjectionError } from '../errors.ts';
import type { Pod } from '../kube/types.ts';

/** Kubernetes' TotalAnnotationSizeLimitB: the API server refuses a pod whose annotations sum to more. */
export const MAX_ANNOTATION_BYTES = 256 * 1024;

/**
 * The limits the API server itself enforces on what the injector parses, checked before any other work:
 * a pod over them would be refused anyway, and every annotation the templates read stays small.
 * Sizes are UTF-8 bytes of names and values, as Kubernetes counts them.
 */
export function checkPodLimits(pod: Pod): void {
  let total = 0;
  let largest = { name: '', bytes: 0 };
  for (const [name, value] of Object.entries(pod.metadata?.annotations ?? {})) {
    const bytes = Buffer.byteLength(name) + Buffer.byteLength(String(value));
    total += bytes;
    if (bytes > largest.bytes) largest = { name, bytes };
  }
  if (total > MAX_ANNOTATION_BYTES) {
    throw new InjectionError(
      'bad-request',
      `metadata.annotations hold ${total} bytes, over Kubernetes' limit of ${MAX_ANNOTATION_BYTES}; ` +
        `the largest is ${JSON.stringify(largest.name.slice(0, 253))} (${largest.bytes} bytes)`,
    );
  }
}
