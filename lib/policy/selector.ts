/** A Kubernetes metav1.LabelSelector and its matching rules (apimachinery `LabelSelectorAsSelector`). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export function isEmptySelector(s: LabelSelector): boolean {
  return Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
}

/**
 * Does the selector select these labels? An empty selector selects everything, as in Kubernetes; callers
 * that want Istio's "empty never matches" check `isEmptySelector` first.
 */
export function matchesSelector(s: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(s.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const r of s.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case 'In':
        if (!has || !(r.values ?? []).includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && (r.values ?? []).includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * Checks a selector the way the API server does before it is used, so a bad one in a config bundle is
 * reported at load time with its path rather than silently never matching.
 */
export function selectorProblem(s: unknown): string | undefined {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return 'must be a label selector object';
  const sel = s as Record<string, unknown>;
  for (const k of Object.keys(sel)) {
    if (k !== 'matchLabels' && k !== 'matchExpressions') return `unknown field "${k}"`;
  }
  const ml = sel.matchLabels;
  if (ml !== undefined) {
    if (typeof ml !== 'object' || ml === null || Array.isArray(ml)) return 'matchLabels must be a map';
    for (const [k, v] of Object.entries(ml)) {
      if (typeof v !== 'string') return `matchLabels.${k} must be a string`;
    }
  }
  const me = sel.matchExpressions;
  if (me !== undefined) {
    if (!Array.isArray(me)) return 'matchExpressions must be a list';
    for (const [i, r] of me.entries()) {
      const req = r as Partial<LabelSelectorRequirement>;
      if (typeof req?.key !== 'string' || req.key === '') return `matchExpressions[${i}].key is required`;
      const values = req.values ?? [];
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
        return `matchExpressions[${i}].values must be a list of strings`;
      }
      switch (req.operator) {
        case 'In':
        case 'NotIn':
          if (values.length === 0)
            return `matchExpressions[${i}].values must be non-empty for ${req.operator}`;
          break;
        case 'Exists':
        case 'DoesNotExist':
          if (values.length > 0) return `matchExpressions[${i}].values must be empty for ${req.operator}`;
          break;
        default:
          return `matchExpressions[${i}].operator "${String(req.operator)}" is not In, NotIn, Exists or DoesNotExist`;
      }
    }
  }
  return undefined;
}
