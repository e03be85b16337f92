import type { Bundle } from './bundle.ts';

/** What every field means when no layer sets it (Istio's defaults for an empty injector Config). */
export const EMPTY_BUNDLE: Bundle = {
  policy: 'enabled',
  defaultTemplates: ['sidecar'],
  templates: {},
  aliases: {},
  neverInjectSelector: [],
  alwaysInjectSelector: [],
  injectedAnnotations: {},
  values: {},
  mesh: {},
  nativeSidecars: true,
  profile: '',
  compliancePolicy: '',
  features: {},
};
