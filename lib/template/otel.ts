import { isObject, type JsonObject } from '../json.ts';
import type { Pod } from '../kube/types.ts';

const ANNOTATION_PREFIX = 'resource.opentelemetry.io/';

/**
 * Istio's `otelResourceAttributes` (OTEL_RESOURCE_ATTRIBUTES of the proxy): when one of the mesh's
 * OpenTelemetry extension providers asks for `serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS`,
 * the service attributes of OpenTelemetry's Kubernetes conventions, each the first found of:
 *
 *   service.namespace     annotation resource.opentelemetry.io/service.namespace, the namespace
 *   service.version       annotation resource.opentelemetry.io/service.version, label app.kubernetes.io/version
 *   service.instance.id   annotation resource.opentelemetry.io/service.instance.id,
 *                         <namespace>.$(POD_NAME).<first application container>
 *
 * (`service.name` is the proxy's own business). "" when no provider asks, so the template adds no env.
 */
export function otelResourceAttributes(mesh: JsonObject, pod: Pod, namespace: string): string {
  const providers = Array.isArray(mesh.extensionProviders) ? mesh.extensionProviders : [];
  const wanted = providers.some(
    (p) =>
      isObject(p) &&
      isObject(p.opentelemetry) &&
      p.opentelemetry.serviceAttributeEnrichment === 'OTEL_SEMANTIC_CONVENTIONS',
  );
  if (!wanted) return '';
  const annotations = pod.metadata?.annotations ?? {};
  const labels = pod.metadata?.labels ?? {};
  // kube-inject of a manifest without a namespace has none to name.
  const ns = namespace || undefined;
  const container = (pod.spec?.containers ?? []).find((c) => c.name !== 'istio-proxy')?.name;
  const attributes: [string, string | undefined][] = [
    ['service.namespace', annotations[`${ANNOTATION_PREFIX}service.namespace`] ?? ns],
    [
      'service.version',
      annotations[`${ANNOTATION_PREFIX}service.version`] ?? labels['app.kubernetes.io/version'],
    ],
    [
      'service.instance.id',
      annotations[`${ANNOTATION_PREFIX}service.instance.id`] ??
        (container === undefined || ns === undefined ? undefined : `${ns}.$(POD_NAME).${container}`),
    ],
  ];
  return attributes
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
