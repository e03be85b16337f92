import type { InjectorConfig } from '../config/compile.ts';
import { isObject } from '../json.ts';
import type { Pod } from '../kube/types.ts';
import type { TemplateData } from '../template/data.ts';
import { overwriteClusterEnv } from './cluster-env.ts';
import { rewriteProbes } from './probes.ts';
import { applyPrometheusMerge, applySecurePrometheusPort } from './prometheus.ts';
import { reorderContainers, reorderInitContainers } from './reorder.ts';
import { STATUS_ANNOTATION, statusAnnotation } from './status.ts';

export interface FinishInput {
  config: InjectorConfig;
  data: TemplateData;
  /** The proxy env from the URL path. */
  proxyEnvs: Record<string, string>;
  /** What the templates rendered, merged: the status annotation lists its containers and volumes. */
  rendered: Pod;
  previouslyInjected: boolean;
}

/**
 * Istio's post-processing of the merged pod, in its order: cluster and network env, metrics merge,
 * probe rewrite, metadata (network label, status, injected annotations), container order.
 */
export function finishPod(merged: Pod, input: FinishInput): Pod {
  const { config, data } = input;
  const values = config.bundle.values;
  const proxyValues = isObject(values.global) && isObject(values.global.proxy) ? values.global.proxy : {};
  const injector = isObject(values.sidecarInjectorWebhook) ? values.sidecarInjectorWebhook : {};
  const annotations = merged.metadata?.annotations ?? {};

  const envs = { ...input.proxyEnvs };
  if (data.cluster) envs.ISTIO_META_CLUSTER_ID = data.cluster;
  if (data.network) envs.ISTIO_META_NETWORK = data.network;
  let pod = overwriteClusterEnv(merged, envs);

  const meshStatusPort = Number(data.proxyConfig.statusPort ?? 15020);
  pod = applyPrometheusMerge(pod, {
    statusPort: meshStatusPort,
    meshMerge: config.bundle.mesh.enablePrometheusMerge !== false,
    scrapeTargets: config.bundle.features?.prometheusScrapeTargets === true,
  });
  pod = applySecurePrometheusPort(pod);
  pod = rewriteProbes(pod, {
    rewriteByDefault: injector.rewriteAppHTTPProbe !== false,
    statusPort: Number(annotations['status.sidecar.istio.io/port'] ?? meshStatusPort),
    meshStatusPort,
    previouslyInjected: input.previouslyInjected,
  });

  const metadata = { ...pod.metadata };
  if (envs.ISTIO_META_NETWORK)
    metadata.labels = { ...metadata.labels, 'topology.istio.io/network': envs.ISTIO_META_NETWORK };
  metadata.annotations = {
    ...metadata.annotations,
    [STATUS_ANNOTATION]: statusAnnotation(input.rendered, data.revision),
    ...config.bundle.injectedAnnotations,
  };

  const hold =
    data.proxyConfig.holdApplicationUntilProxyStarts === true ||
    proxyValues.holdApplicationUntilProxyStarts === true;
  const spec = { ...pod.spec };
  if (spec.containers) spec.containers = reorderContainers(spec.containers, hold);
  if (spec.initContainers) spec.initContainers = reorderInitContainers(spec.initContainers);
  return { ...pod, metadata, spec };
}
