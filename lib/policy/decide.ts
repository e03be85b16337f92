import type { ObjectMeta, PodSpec } from '../kube/types.ts';
import { isEmptySelector, type LabelSelector, matchesSelector } from './selector.ts';

/** Namespaces Istio never injects into, whatever the webhook selectors let through. */
export const IGNORED_NAMESPACES: readonly string[] = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'local-path-storage',
];

export const INJECT_KEY = 'sidecar.istio.io/inject';

/**
 * The annotation the kubelet puts on the API server's copy of a static pod. Such a copy must equal the
 * pod file on the node: one changed by a webhook is deleted and made again by the kubelet, without end.
 */
export const MIRROR_KEY = 'kubernetes.io/config.mirror';

export interface PolicyConfig {
  policy: string;
  neverInjectSelector: LabelSelector[];
  alwaysInjectSelector: LabelSelector[];
}

export interface Decision {
  inject: boolean;
  reason: string;
}

/**
 * Istio's `injectRequired`, rule for rule: host networking, mirror pods (not Istio's), ignored
 * namespaces, the inject label (over the annotation), the never/always selectors, then the policy. The
 * reason is what a user sees in `check-inject` and in the webhook's warnings.
 */
export function decide(cfg: PolicyConfig, spec: PodSpec, meta: ObjectMeta): Decision {
  if (spec.hostNetwork === true) return { inject: false, reason: 'pod uses host networking' };
  if (meta.annotations && Object.hasOwn(meta.annotations, MIRROR_KEY))
    return { inject: false, reason: `mirror pod (${MIRROR_KEY}): the kubelet owns it` };
  const ns = meta.namespace ?? '';
  if (IGNORED_NAMESPACES.includes(ns))
    return { inject: false, reason: `namespace "${ns}" is never injected` };

  const labels = meta.labels ?? {};
  const annotations = meta.annotations ?? {};
  let source = 'annotation';
  let value = annotations[INJECT_KEY] ?? '';
  if (Object.hasOwn(labels, INJECT_KEY)) {
    source = 'label';
    value = labels[INJECT_KEY] ?? '';
  }

  let inject = false;
  let useDefault = false;
  let reason: string;
  if (value === 'true') {
    inject = true;
    reason = `${source} ${INJECT_KEY}="true"`;
  } else if (value === 'false') {
    reason = `${source} ${INJECT_KEY}="false"`;
  } else {
    useDefault = true;
    reason =
      value === ''
        ? 'no inject label or annotation'
        : `${source} ${INJECT_KEY}="${value}" is not "true" or "false" and was ignored`;
  }

  if (useDefault) {
    const never = firstMatch(cfg.neverInjectSelector, labels);
    if (never !== undefined) {
      useDefault = false;
      inject = false;
      reason = `labels match neverInjectSelector[${never}]`;
    }
  }
  if (useDefault) {
    const always = firstMatch(cfg.alwaysInjectSelector, labels);
    if (always !== undefined) {
      useDefault = false;
      inject = true;
      reason = `labels match alwaysInjectSelector[${always}]`;
    }
  }

  switch (cfg.policy) {
    case 'enabled':
      return useDefault ? { inject: true, reason: `${reason}; policy is enabled` } : { inject, reason };
    case 'disabled':
      return useDefault ? { inject: false, reason: `${reason}; policy is disabled` } : { inject, reason };
    default:
      return { inject: false, reason: `policy "${cfg.policy}" is neither enabled nor disabled` };
  }
}

function firstMatch(selectors: LabelSelector[], labels: Record<string, string>): number | undefined {
  const i = selectors.findIndex((s) => !isEmptySelector(s) && matchesSelector(s, labels));
  return i >= 0 ? i : undefined;
}
