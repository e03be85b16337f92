import { InjectionError } from '../errors.ts';
import type { Pod } from '../kube/types.ts';

export const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';

/** The templates a config has (its TemplateSet). */
export interface KnownTemplates {
  has(name: string): boolean;
  keys(): readonly string[];
}

/**
 * Which templates to render, in order: the pod's `inject.istio.io/templates` (comma list) or the
 * bundle's defaults, each alias expanded one level. A name listed twice is rendered once: Istio renders
 * it again, which merges to the same pod, and a pod listing one name a thousand times must not cost a
 * thousand renders.
 */
export function selectTemplates(
  pod: Pod,
  defaults: string[],
  aliases: Record<string, string[]>,
  known: KnownTemplates,
): string[] {
  const requested = pod.metadata?.annotations?.[TEMPLATES_ANNOTATION];
  const names =
    requested !== undefined
      ? requested.split(',').map((n) => n.trim())
      : defaults.length
        ? defaults
        : ['sidecar'];
  const out: string[] = [];
  for (const name of names) {
    for (const resolved of Object.hasOwn(aliases, name) ? (aliases[name] as string[]) : [name]) {
      if (!known.has(resolved)) {
        throw new InjectionError(
          'unknown-template',
          `requested template "${resolved}" not found; have ${[...known.keys()].sort().join(', ')}`,
        );
      }
      if (!out.includes(resolved)) out.push(resolved);
    }
  }
  return out;
}
