import { InjectionError } from '../errors.ts';
import type { Pod } from '../kube/types.ts';

export const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';

/**
 * Which templates to render, in order: the pod's `inject.istio.io/templates` (comma list) or the
 * bundle's defaults, each alias expanded one level. Names are not de-duplicated: Istio renders a name
 * listed twice twice.
 */
export function selectTemplates(
  pod: Pod,
  defaults: string[],
  aliases: Record<string, string[]>,
  known: Iterable<string>,
): string[] {
  const requested = pod.metadata?.annotations?.[TEMPLATES_ANNOTATION];
  const names =
    requested !== undefined
      ? requested.split(',').map((n) => n.trim())
      : defaults.length
        ? defaults
        : ['sidecar'];
  const knownSet = new Set(known);
  const out: string[] = [];
  for (const name of names) {
    for (const resolved of Object.hasOwn(aliases, name) ? (aliases[name] as string[]) : [name]) {
      if (!knownSet.has(resolved)) {
        throw new InjectionError(
          'unknown-template',
          `requested template "${resolved}" not found; have ${[...knownSet].sort().join(', ')}`,
        );
      }
      out.push(resolved);
    }
  }
  return out;
}
