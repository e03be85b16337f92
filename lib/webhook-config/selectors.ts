import type { LabelSelector, LabelSelectorRequirement } from '../policy/selector.ts';

/** Namespaces Istio never injects into (its IgnoredNamespaces); also skipped by the webhook's CEL condition. */
export const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'];

export interface SelectorWebhook {
  /** Prefix of the webhook name, as Istio's chart names them (`rev.namespace.`, `object.`, ...). */
  prefix: string;
  namespaceSelector: LabelSelector;
  objectSelector: LabelSelector;
}

/**
 * Istio's webhook selector scheme (istio-discovery chart, templates/mutatingwebhook.yaml), so the labels
 * users already put on namespaces and pods keep their meaning: a revision is picked by `istio.io/rev` on
 * the namespace or the pod; the default revision also answers to `istio-injection=enabled` and to a pod's
 * `sidecar.istio.io/inject=true`, and with `all` to every namespace that has neither label.
 */
export function istioSelectorWebhooks(revision: string, mode: 'label' | 'all'): SelectorWebhook[] {
  const rev = revision || 'default';
  const notDisabled: LabelSelectorRequirement = {
    key: 'sidecar.istio.io/inject',
    operator: 'NotIn',
    values: ['false'],
  };
  const noLegacyLabel: LabelSelectorRequirement = { key: 'istio-injection', operator: 'DoesNotExist' };
  const noRevLabel: LabelSelectorRequirement = { key: 'istio.io/rev', operator: 'DoesNotExist' };
  const webhooks: SelectorWebhook[] = [
    {
      prefix: 'rev.namespace.',
      namespaceSelector: {
        matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [rev] }, noLegacyLabel],
      },
      objectSelector: { matchExpressions: [notDisabled] },
    },
    {
      prefix: 'rev.object.',
      namespaceSelector: { matchExpressions: [noRevLabel, noLegacyLabel] },
      objectSelector: {
        matchExpressions: [notDisabled, { key: 'istio.io/rev', operator: 'In', values: [rev] }],
      },
    },
  ];
  if (revision !== '') return webhooks;
  webhooks.push(
    {
      prefix: 'namespace.',
      namespaceSelector: {
        matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }],
      },
      objectSelector: { matchExpressions: [notDisabled] },
    },
    {
      prefix: 'object.',
      namespaceSelector: { matchExpressions: [noLegacyLabel, noRevLabel] },
      objectSelector: {
        matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'In', values: ['true'] }, noRevLabel],
      },
    },
  );
  if (mode === 'all') {
    webhooks.push({
      prefix: 'auto.',
      namespaceSelector: {
        matchExpressions: [
          noLegacyLabel,
          noRevLabel,
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: SYSTEM_NAMESPACES },
        ],
      },
      objectSelector: {
        matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'DoesNotExist' }, noRevLabel],
      },
    });
  }
  return webhooks;
}
