import yaml from 'js-yaml';
import type { InjectorConfig } from '../config/compile.ts';
import { isObject, type JsonObject } from '../json.ts';
import { podSlotsOf } from '../kube/pod-templates.ts';
import { decide } from '../policy/decide.ts';
import { type LabelSelector, matchesSelector } from '../policy/selector.ts';
import { splitDocuments } from './kube-inject.ts';

export interface CheckResult {
  kind: string;
  name: string;
  namespace: string;
  inject: boolean;
  reason: string;
}

export interface CheckOptions {
  namespace: string;
  namespaceLabels: Record<string, string>;
  /** A MutatingWebhookConfiguration: its selectors decide whether the webhook is called at all. */
  webhookConfig?: JsonObject;
}

/**
 * Would each pod in these manifests be injected, and why: first the webhook's namespaceSelector and
 * objectSelector (as the API server applies them; a pod is sent if any webhook matches), then the
 * injector's own decision. matchConditions (CEL) are not evaluated.
 */
export function checkInject(text: string, config: InjectorConfig, options: CheckOptions): CheckResult[] {
  const results: CheckResult[] = [];
  for (const chunk of splitDocuments(text)) {
    const doc = yaml.load(chunk);
    if (!isObject(doc)) continue;
    for (const slot of podSlotsOf(doc)) {
      const meta = { ...slot.pod.metadata, namespace: slot.workload.namespace || options.namespace };
      const base = { kind: slot.workload.kind, name: slot.workload.name, namespace: meta.namespace };
      const webhook =
        options.webhookConfig && matchingWebhook(options.webhookConfig, meta.labels ?? {}, options);
      if (webhook && !webhook.name) {
        results.push({ ...base, inject: false, reason: webhook.reason });
        continue;
      }
      const decision = decide(config.bundle, slot.pod.spec ?? {}, meta);
      const via = webhook?.name ? `webhook ${webhook.name} is called; ` : '';
      results.push({ ...base, inject: decision.inject, reason: `${via}${decision.reason}` });
    }
  }
  return results;
}

function matchingWebhook(
  mwc: JsonObject,
  podLabels: Record<string, string>,
  options: CheckOptions,
): { name?: string; reason: string } {
  const nsLabels = { 'kubernetes.io/metadata.name': options.namespace, ...options.namespaceLabels };
  const webhooks = Array.isArray(mwc.webhooks) ? mwc.webhooks.filter(isObject) : [];
  for (const wh of webhooks) {
    const nsSel = (isObject(wh.namespaceSelector) ? wh.namespaceSelector : {}) as LabelSelector;
    const objSel = (isObject(wh.objectSelector) ? wh.objectSelector : {}) as LabelSelector;
    if (matchesSelector(nsSel, nsLabels) && matchesSelector(objSel, podLabels)) {
      return { name: String(wh.name ?? '(unnamed)'), reason: '' };
    }
  }
  return {
    reason: `no webhook of ${String(isObject(mwc.metadata) ? mwc.metadata.name : 'the webhook configuration')} selects it (namespace labels ${JSON.stringify(nsLabels)}, pod labels ${JSON.stringify(podLabels)})`,
  };
}
