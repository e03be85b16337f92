import yaml from 'js-yaml';
import type { InjectorConfig } from '../config/compile.ts';
import { isObject, type JsonObject } from '../json.ts';
import { podSlotsOf } from '../kube/pod-templates.ts';
import { configForRevision } from '../config/cluster-configs.ts';
import { decide } from '../policy/decide.ts';
import { matchingWebhook } from '../webhook-config/match.ts';
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
 * Would each pod in these manifests be injected, and why: first the webhook's namespaceSelector,
 * objectSelector and matchConditions (as the API server applies them; a pod is sent if any webhook
 * matches), then the injector's own decision.
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
        options.webhookConfigs &&
        matchingWebhook(options.webhookConfigs, { ...slot.pod, metadata: meta }, options);
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
