import { evaluate } from '@marcbachmann/cel-js';
import { isObject, type JsonObject } from '../json.ts';
import { parseInjectPath } from '../path/params.ts';
import { type LabelSelector, matchesSelector } from '../policy/selector.ts';

/**
 * The webhook the API server calls for the pod: the first whose namespace and object selectors match
 * and whose matchConditions (CEL, evaluated as the API server does on a CREATE of `object`) all hold,
 * over every configuration given; its revision and cluster are the `rev` and `cluster` pairs of its URL
 * ("" for none).
 */
export function matchingWebhook(
  mwcs: JsonObject[],
  object: { metadata?: { labels?: Record<string, string> } & Record<string, unknown> },
  options: { namespace: string; namespaceLabels: Record<string, string> },
): { name?: string; revision?: string; cluster?: string; url?: string; reason: string } {
  const podLabels = object.metadata?.labels ?? {};
  const nsLabels = { 'kubernetes.io/metadata.name': options.namespace, ...options.namespaceLabels };
  const excluded: string[] = [];
  for (const mwc of mwcs) {
    const webhooks = Array.isArray(mwc.webhooks) ? mwc.webhooks.filter(isObject) : [];
    for (const wh of webhooks) {
      const nsSel = (isObject(wh.namespaceSelector) ? wh.namespaceSelector : {}) as LabelSelector;
      const objSel = (isObject(wh.objectSelector) ? wh.objectSelector : {}) as LabelSelector;
      if (!matchesSelector(nsSel, nsLabels) || !matchesSelector(objSel, podLabels)) continue;
      const name = String(wh.name ?? '(unnamed)');
      const failed = failedCondition(wh, object, options.namespace, nsLabels);
      if (failed) {
        excluded.push(`${name}: matchCondition ${failed}`);
        continue;
      }
      const url =
        isObject(wh.clientConfig) && typeof wh.clientConfig.url === 'string' ? wh.clientConfig.url : '';
      const path = pathOfUrl(url);
      return {
        name,
        revision: path?.revision ?? '',
        cluster: path?.envs.ISTIO_META_CLUSTER_ID ?? '',
        url,
        reason: '',
      };
    }
  }
  if (excluded.length) return { reason: `no webhook is called (${excluded.join('; ')})` };
  const names = mwcs.map((m) => String(isObject(m.metadata) ? m.metadata.name : 'the webhook configuration'));
  return {
    reason: `no webhook of ${names.join(', ') || 'the webhook configuration'} selects it (namespace labels ${JSON.stringify(nsLabels)}, pod labels ${JSON.stringify(podLabels)})`,
  };
}

/**
 * The first of a webhook's matchConditions that is false for this CREATE, as `"<name>" is false`; one
 * that cannot be evaluated counts as holding (the webhook is called), and says so.
 */
function failedCondition(
  webhook: JsonObject,
  object: unknown,
  namespace: string,
  namespaceLabels: Record<string, string>,
): string | undefined {
  const conditions = Array.isArray(webhook.matchConditions) ? webhook.matchConditions.filter(isObject) : [];
  const context = {
    object,
    oldObject: null,
    request: { namespace, operation: 'CREATE', kind: { group: '', version: 'v1', kind: 'Pod' } },
    namespaceObject: { metadata: { name: namespace, labels: namespaceLabels } },
  };
  for (const c of conditions) {
    try {
      if (evaluate(String(c.expression ?? ''), context) === false) return `"${String(c.name)}" is false`;
    } catch {
      // The API server would apply the failure policy; here the webhook is taken as called.
    }
  }
  return undefined;
}

/** What a webhook URL's path names (cluster, revision, ...); undefined when it cannot be read. */
function pathOfUrl(url: string): ReturnType<typeof parseInjectPath> | undefined {
  try {
    return parseInjectPath(decodeURIComponent(new URL(url).pathname));
  } catch {
    return undefined;
  }
}
