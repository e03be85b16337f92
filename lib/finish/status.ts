import { isObject, type Json } from '../json.ts';
import type { Pod } from '../kube/types.ts';

export const STATUS_ANNOTATION = 'sidecar.istio.io/status';

/**
 * The `sidecar.istio.io/status` record of what the templates added, in Istio's field order (a list the
 * templates did not touch is `null`). Re-injection reads it to strip the previous sidecar first.
 */
export function statusAnnotation(rendered: Pod, revision: string): string {
  const names = (list: { name: string }[] | undefined) => (list?.length ? list.map((c) => c.name) : null);
  const spec = rendered.spec ?? {};
  return JSON.stringify({
    initContainers: names(spec.initContainers),
    containers: names(spec.containers),
    volumes: names(spec.volumes as { name: string }[] | undefined),
    imagePullSecrets: names(spec.imagePullSecrets as { name: string }[] | undefined),
    revision: revision || 'default',
  });
}

export interface InjectionStatus {
  initContainers: string[];
  containers: string[];
  volumes: string[];
  imagePullSecrets: string[];
}

/** Reads a previous status annotation; an unreadable one counts as "nothing injected before". */
export function parseStatus(value: string | undefined): InjectionStatus | undefined {
  if (value === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!isObject(raw)) return undefined;
  const list = (v: Json | undefined): string[] =>
    Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
  return {
    initContainers: list(raw.initContainers),
    containers: list(raw.containers),
    volumes: list(raw.volumes),
    imagePullSecrets: list(raw.imagePullSecrets),
  };
}
