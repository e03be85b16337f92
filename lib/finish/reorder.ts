import type { Container } from '../kube/types.ts';

export const PROXY_CONTAINER = 'istio-proxy';

/**
 * Istio's container order. Classic: istio-proxy last among containers, or first when the application
 * must wait for it (hold). Native (istio-proxy is an init container): istio-init, istio-validation,
 * istio-proxy, enable-core-dump, then the pod's own init containers, so the proxy runs before them.
 * Classic init containers: istio-validation first, the pod's own, then istio-init and enable-core-dump.
 */
export function reorderContainers(containers: Container[], hold: boolean): Container[] {
  const proxy = containers.find((c) => c.name === PROXY_CONTAINER);
  if (!proxy) return containers;
  const rest = containers.filter((c) => c !== proxy);
  return hold ? [proxy, ...rest] : [...rest, proxy];
}

export function reorderInitContainers(initContainers: Container[]): Container[] {
  const native = initContainers.some((c) => c.name === PROXY_CONTAINER);
  const first = native
    ? ['istio-init', 'istio-validation', PROXY_CONTAINER, 'enable-core-dump']
    : ['istio-validation'];
  const last = native ? [] : ['istio-init', 'enable-core-dump'];
  const pick = (names: string[]) => names.flatMap((n) => initContainers.filter((c) => c.name === n));
  const named = new Set([...first, ...last]);
  return [...pick(first), ...initContainers.filter((c) => !named.has(c.name)), ...pick(last)];
}
