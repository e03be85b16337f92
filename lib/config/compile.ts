import { createHash } from 'node:crypto';
import type { Liquid } from 'liquidjs';
import { shippedTemplate } from '../profile/registry.ts';
import { createEngine, TemplateSet } from '../template/engine.ts';
import { SkeletonCache } from '../template/skeleton.ts';
import { type Bundle, checkComplete } from './bundle.ts';

/** A bundle ready to serve: templates parsed once, and a version that names this exact content. */
export interface InjectorConfig {
  bundle: Bundle;
  version: string;
  templates: TemplateSet;
  engine: Liquid;
  /** Parsed template shapes (see template/skeleton.ts), one cache per instance, shared by all configs. */
  skeletons: SkeletonCache;
  /** The config of one of the bundle's revisions (set by clusterConfigs); undefined for one it lacks. */
  revision?: (name: string) => InjectorConfig | undefined;
  /** The revisions the bundle serves besides the default. */
  revisionNames?: string[];
}

/** The engine every compiled config parses and renders with (and the parse cache it shares). */
export const sharedEngine = createEngine();
// A shape is keyed by what names its whole text (the compiled template and the render's trace, or the
// text itself), which is everything it depends on: configs can share it, and the instance's bound
// holds however many configs (clusters, versions) it serves.
const sharedSkeletons = new SkeletonCache();

export function compileBundle(bundle: Bundle, source: string, engine: Liquid = sharedEngine): InjectorConfig {
  checkComplete(bundle, source);
  const version = createHash('sha256').update(JSON.stringify(bundle)).digest('hex').slice(0, 12);
  return {
    bundle,
    version,
    templates: new TemplateSet(engine, bundle.templates, shippedTemplate),
    engine,
    skeletons: sharedSkeletons,
  };
}
