import embedded from '../../infra/default.bundle.json' with { type: 'json' };
import type { Bundle } from '../config/bundle-types.ts';
import { InjectionError } from '../errors.ts';
import type { GeneratedLiquid } from '../template/liquid-compiler.ts';
import type { ProfileCode } from './generated-code.ts';

/**
 * The Istio release profiles (infra/istio/<name>/, embedded as JSON by `npm run embed` so the functions
 * need no files at run time): each a complete bundle with that release's templates, values and mesh
 * config. A bundle names one with `profile:`; without it, DEFAULT_PROFILE.
 */
const PROFILES = new Map(Object.entries(embedded.profiles as unknown as Record<string, Bundle>));

export const DEFAULT_PROFILE: string = embedded.default;

/** The profile names, in their embedded order (oldest release first). */
export const PROFILE_NAMES: readonly string[] = [...PROFILES.keys()];

/** A problem with a profile name, for a validation message; undefined when it names a profile. */
export function profileProblem(name: unknown): string | undefined {
  if (typeof name === 'string' && PROFILES.has(name)) return undefined;
  return `unknown profile ${JSON.stringify(name)}; known profiles: ${PROFILE_NAMES.join(', ')}`;
}

/** The complete bundle of a profile; throws naming the known ones. */
export function profileBundle(name: string): Bundle {
  const bundle = PROFILES.get(name);
  if (!bundle) throw new InjectionError('config', profileProblem(name) as string);
  return bundle;
}

let shipped: Map<string, GeneratedLiquid | null> | undefined;

/**
 * Whether `text` is template `name` as an embedded profile ships it (undefined when not), and if so its
 * code generated when the profiles were embedded (null when the compiler does not cover it).
 */
export function shippedTemplate(name: string, text: string): GeneratedLiquid | null | undefined {
  if (!shipped) {
    const { code, templates } = (embedded as unknown as { generated: ProfileCode }).generated;
    shipped = new Map();
    for (const [profile, bundle] of PROFILES)
      for (const [n, t] of Object.entries(bundle.templates))
        // The same text shipped by another profile keeps the code one of them has.
        shipped.set(`${n}\0${t}`, code[templates[profile]?.[n] ?? -1] ?? shipped.get(`${n}\0${t}`) ?? null);
  }
  return shipped.get(`${name}\0${text}`);
}

/** The embedded profile itself (not a copy, not a bundle layered over it). */
export function isProfileRoot(bundle: Bundle): boolean {
  return PROFILES.get(bundle.profile) === bundle;
}

/** A release's stock Go templates, as `outrigger import` recognises them (infra/istio/<name>/stock-templates.yaml). */
export interface StockTemplates {
  profile: string;
  /** The Istio release (`1.30.3`, `master`). */
  release: string;
  /** Template name → templateHash (lib/profile/stock.ts) of its stock text. */
  templates: Record<string, string>;
}

export function stockTemplates(): StockTemplates[] {
  const stock = (embedded as { stock?: Record<string, Omit<StockTemplates, 'profile'>> }).stock ?? {};
  return PROFILE_NAMES.map((profile) => ({ profile, release: '', templates: {}, ...stock[profile] }));
}
