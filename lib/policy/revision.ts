/**
 * A revision as the injector keys it: Istio writes the default revision as "default" in labels and
 * flags, and "" where it means "no revision"; both name the same control plane.
 */
export function revisionKey(revision: string): string {
  return revision === 'default' ? '' : revision;
}
