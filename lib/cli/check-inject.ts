import yaml from 'js-yaml';
import type { InjectorConfig } from '../config/compile.ts';
import { isObject, type JsonObject } from '../json.ts';
import { podSlotsOf } from '../kube/pod-templates.ts';
import { configForRevision } from '../config/cluster-configs.ts';
import { parseInjectPath } from '../path/params.ts';
import { decide } from '../policy/decide.ts';
import { type LabelSelector, matchesSelector } from '../policy/selector.ts';
import { splitDocuments } from './kube-inject.ts';

export interface CheckResult {
  kind: string;
  name: string;
  namespace: string;
  inject: boolean;
  reason: string;
  /** With --webhook-config: the webhook called, and the revision that answers it. */
  webhook?: string;
  revision?: string;
}

export interface CheckOptions {
  namespace: string;
  namespaceLabels: Record<string, string>;
  /**
   * MutatingWebhookConfigurations (one, or one per revision and tag, as `webhook-config` prints them):
   * their selectors decide whether a webhook is called at all, and its URL's `rev/<name>` which of the
   * bundle's revisions answers.
   */
  webhookConfigs?: JsonObject[];
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
        options.webhookConfigs && matchingWebhook(options.webhookConfigs, meta.labels ?? {}, options);
      if (webhook && !webhook.name) {
        results.push({ ...base, inject: false, reason: webhook.reason });
        continue;
      }
      const revision = webhook?.revision ?? '';
      const served = revision ? configForRevision(config, revision) : config;
      const decision = decide(served.bundle, slot.pod.spec ?? {}, meta);
      const via = webhook?.name
        ? `webhook ${webhook.name}${revision ? ` (revision ${revision}, profile ${served.bundle.profile})` : ''} is called; `
        : '';
      results.push({
        ...base,
        inject: decision.inject,
        reason: `${via}${decision.reason}`,
        ...(webhook?.name && { webhook: webhook.name, revision: revision || 'default' }),
      });
    }
  }
  return results;
}

/**
 * The webhook the API server calls for the pod: the first whose namespace and object selectors match,
 * over every configuration given; its revision is the `rev` pair of its URL ("" for none).
 */
export function matchingWebhook(
  mwcs: JsonObject[],
  podLabels: Record<string, string>,
  options: Pick<CheckOptions, 'namespace' | 'namespaceLabels'>,
): { name?: string; revision?: string; url?: string; reason: string } {
  const nsLabels = { 'kubernetes.io/metadata.name': options.namespace, ...options.namespaceLabels };
  for (const mwc of mwcs) {
    const webhooks = Array.isArray(mwc.webhooks) ? mwc.webhooks.filter(isObject) : [];
    for (const wh of webhooks) {
      const nsSel = (isObject(wh.namespaceSelector) ? wh.namespaceSelector : {}) as LabelSelector;
      const objSel = (isObject(wh.objectSelector) ? wh.objectSelector : {}) as LabelSelector;
      if (matchesSelector(nsSel, nsLabels) && matchesSelector(objSel, podLabels)) {
        const url =
          isObject(wh.clientConfig) && typeof wh.clientConfig.url === 'string' ? wh.clientConfig.url : '';
        return { name: String(wh.name ?? '(unnamed)'), revision: revisionOfUrl(url), url, reason: '' };
      }
    }
  }
  const names = mwcs.map((m) => String(isObject(m.metadata) ? m.metadata.name : 'the webhook configuration'));
  return {
    reason: `no webhook of ${names.join(', ') || 'the webhook configuration'} selects it (namespace labels ${JSON.stringify(nsLabels)}, pod labels ${JSON.stringify(podLabels)})`,
  };
}

function revisionOfUrl(url: string): string {
  try {
    return parseInjectPath(decodeURIComponent(new URL(url).pathname)).revision ?? '';
  } catch {
    return '';
  }
}
