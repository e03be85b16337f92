import { isObject, type JsonObject } from '../json.ts';
import { parseInjectPath } from '../path/params.ts';
import { type LabelSelector, matchesSelector } from '../policy/selector.ts';

/**
 * The webhook the API server calls for the pod: the first whose namespace and object selectors match,
 * over every configuration given; its revision and cluster are the `rev` and `cluster` pairs of its URL
 * ("" for none).
 */
export function matchingWebhook(
  mwcs: JsonObject[],
  podLabels: Record<string, string>,
  options: { namespace: string; namespaceLabels: Record<string, string> },
): { name?: string; revision?: string; cluster?: string; url?: string; reason: string } {
  const nsLabels = { 'kubernetes.io/metadata.name': options.namespace, ...options.namespaceLabels };
  for (const mwc of mwcs) {
    const webhooks = Array.isArray(mwc.webhooks) ? mwc.webhooks.filter(isObject) : [];
    for (const wh of webhooks) {
      const nsSel = (isObject(wh.namespaceSelector) ? wh.namespaceSelector : {}) as LabelSelector;
      const objSel = (isObject(wh.objectSelector) ? wh.objectSelector : {}) as LabelSelector;
      if (matchesSelector(nsSel, nsLabels) && matchesSelector(objSel, podLabels)) {
        const url =
          isObject(wh.clientConfig) && typeof wh.clientConfig.url === 'string' ? wh.clientConfig.url : '';
        const path = pathOfUrl(url);
        return {
          name: String(wh.name ?? '(unnamed)'),
          revision: path?.revision ?? '',
          cluster: path?.envs.ISTIO_META_CLUSTER_ID ?? '',
          url,
          reason: '',
        };
      }
    }
  }
  const names = mwcs.map((m) => String(isObject(m.metadata) ? m.metadata.name : 'the webhook configuration'));
  return {
    reason: `no webhook of ${names.join(', ') || 'the webhook configuration'} selects it (namespace labels ${JSON.stringify(nsLabels)}, pod labels ${JSON.stringify(podLabels)})`,
  };
}

/** What a webhook URL's path names (cluster, revision, ...); undefined when it cannot be read. */
function pathOfUrl(url: string): ReturnType<typeof parseInjectPath> | undefined {
  try {
    return parseInjectPath(decodeURIComponent(new URL(url).pathname));
  } catch {
    return undefined;
  }
}
