import yaml from 'js-yaml';
import type { InjectorConfig } from '../config/compile.ts';
import { errorMessage, InjectionError, yamlProblem } from '../errors.ts';
import { checkPodLimits } from '../admission/pod-limits.ts';
import { injectPod } from '../inject/inject-pod.ts';
import { isObject } from '../json.ts';
import { podSlotsOf } from '../kube/pod-templates.ts';
import type { Pod } from '../kube/types.ts';
import { parseProxyConfigOverlay } from '../template/proxy-config.ts';

export interface KubeInjectOptions {
  revision: string;
  nativeSidecars?: boolean;
}

export interface KubeInjectResult {
  output: string;
  /** One line per object not injected, with the reason (istioctl prints these to stderr). */
  warnings: string[];
}

/**
 * `istioctl kube-inject` for a multi-document YAML stream: pods and workload templates are injected and
 * re-serialised (keys sorted, as kubectl prints); any other document is written back exactly as it
 * came. As in istioctl, the policy is `enabled`: only the pod's own opt-out, host networking and
 * system namespaces prevent injection.
 */
export function kubeInject(
  text: string,
  config: InjectorConfig,
  options: KubeInjectOptions,
): KubeInjectResult {
  const warnings: string[] = [];
  const out: string[] = [];
  for (const chunk of splitDocuments(text)) {
    let doc: unknown;
    try {
      doc = yaml.load(chunk);
    } catch (err) {
      throw new InjectionError('bad-request', `input is not YAML: ${yamlProblem(err)}`);
    }
    if (doc === null || doc === undefined) continue;
    const slots = isObject(doc) ? podSlotsOf(doc) : [];
    if (slots.length === 0) {
      out.push(`${chunk.replace(/\s+$/, '')}\n---\n`);
      continue;
    }
    for (const slot of slots) {
      const what = `${slot.workload.kind} "${slot.workload.namespace || 'default'}/${slot.workload.name}"`;
      let result: ReturnType<typeof injectPod>;
      try {
        checkPodLimits(slot.pod);
        // istioctl applies the pod's ProxyConfig before it decides, after the host-network skip: a bad
        // one fails a pod that would not be injected too.
        const proxyConfig = slot.pod.metadata?.annotations?.['proxy.istio.io/config'];
        if (slot.pod.spec?.hostNetwork !== true && proxyConfig !== undefined && proxyConfig.trim() !== '')
          parseProxyConfigOverlay(proxyConfig);
        result = injectPod(slot.pod, config, {
          namespace: slot.workload.namespace,
          proxyEnvs: {},
          revision: options.revision,
          nativeSidecars: options.nativeSidecars,
          workload: slot.workload,
          policy: 'enabled',
        });
      } catch (err) {
        throw new InjectionError(
          err instanceof InjectionError ? err.code : 'internal',
          `${what}: ${errorMessage(err)}`,
        );
      }
      if (!result.decision.inject) warnings.push(skipWarning(what, slot.pod, result.decision.reason));
      else slot.replace(withoutFilledNamespace(result.pod, slot.pod));
    }
    out.push(`${yaml.dump(doc, { sortKeys: true, lineWidth: -1, noRefs: true })}---\n`);
  }
  return { output: out.join(''), warnings };
}

/** istioctl's wording (`===> Skipping injection because ...`), with our reason for the opt-out. */
function skipWarning(what: string, pod: Pod, reason: string): string {
  return pod.spec?.hostNetwork === true
    ? `Skipping injection because ${what} has host networking enabled`
    : `Skipping injection because ${what} has sidecar injection disabled: ${reason}`;
}

/** injectPod fills the namespace from the request; a manifest's pod template must not gain one. */
function withoutFilledNamespace(
  pod: ReturnType<typeof injectPod>['pod'],
  before: ReturnType<typeof injectPod>['pod'],
) {
  if (before.metadata?.namespace !== undefined || !pod.metadata) return pod;
  const { namespace: _, ...metadata } = pod.metadata;
  return { ...pod, metadata };
}

/** Splits a YAML stream on `---` separator lines, keeping each document's text as written. */
export function splitDocuments(text: string): string[] {
  return text.split(/^---[^\S\n]*(?:#.*)?(?:\r?\n|$)/m).filter((chunk) => chunk.trim() !== '');
}
