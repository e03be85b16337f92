// The bundle's shape, apart from its validation (bundle.ts), so the profile registry can name it
// without importing what imports the registry.
import type { JsonObject } from '../json.ts';
import type { LabelSelector } from '../policy/selector.ts';

/**
 * Everything that decides what gets injected: Istio's injector Config (policy, templates, selectors,
 * injected annotations) plus the Helm values and the mesh config the templates read. One bundle is one
 * version of the injector's behaviour.
 */
export interface Bundle {
  policy: string;
  defaultTemplates: string[];
  templates: Record<string, string>;
  aliases: Record<string, string[]>;
  neverInjectSelector: LabelSelector[];
  alwaysInjectSelector: LabelSelector[];
  injectedAnnotations: Record<string, string>;
  values: JsonObject;
  mesh: JsonObject;
  /**
   * Istio decides native sidecars from the kubelet versions of the cluster's nodes, which a function
   * outside the cluster cannot see; here it is a setting (and the `sidecar.istio.io/nativeSidecar`
   * annotation overrides it per pod).
   */
  nativeSidecars: boolean;
  /**
   * Overlays for requests on `/inject/cluster/<id>/...`, so one deployment serves many clusters with
   * their own network, trust domain or images. An id with no entry gets the bundle as it is.
   */
  clusters?: Record<string, ClusterOverlay>;
  /**
   * The Istio release profile the bundle is layered over (`istio-1.30`, ...; infra/istio/<name>/): its
   * templates, values and mesh config are the base every other field goes over.
   */
  profile: string;
  /**
   * Istio's COMPLIANCE_POLICY (an istiod environment variable there): `fips-140-3` makes the proxy
   * run FIPS 140-3 only (`COMPLIANCE_POLICY`, and `GODEBUG=fips140=only` where the release sets it).
   */
  compliancePolicy: string;
  /**
   * Revisions this deployment serves besides the default, each a bundle overlay (usually `profile` and
   * `values.global.tag`): requests on `/inject/.../rev/<name>` get it, so namespaces move from one
   * Istio release to the next by relabelling.
   */
  revisions?: Record<string, RevisionOverlay>;
  /**
   * What a release's injector does in Go code rather than in its templates, where releases differ
   * (set by each profile's config.yaml; validated by FEATURES in bundle.ts).
   */
  features: Features;
  /** The profile bundle this one was layered over, and the layers (see layerBundles). */
  [ROOT]?: Bundle;
  [LAYERS]?: PartialBundle[];
}

/** Injector behaviour that differs between Istio releases outside the templates. */
export interface Features {
  /**
   * `prometheus.istio.io/scrape-targets` (Istio 1.31 on): the targets go to the agent in
   * ISTIO_PROMETHEUS_ANNOTATIONS, the first one's port and path stand for a missing
   * `prometheus.io/port` and `/path`, and the annotation is removed. Without it the annotation is left
   * alone, as older releases do.
   */
  prometheusScrapeTargets?: boolean;
}

/** Where layerBundles keeps the profile bundle a bundle was layered over, and the layers. */
export const ROOT = Symbol('profile root');
export const LAYERS = Symbol('layers over the profile');

/** A bundle as read from a store or a file: any subset of the fields, layered over a base. */
export type PartialBundle = Partial<Bundle>;

/** One cluster's overlay: any bundle fields but `clusters`, layered over the bundle for that cluster. */
export type ClusterOverlay = Omit<PartialBundle, 'clusters' | 'revisions'>;

/** One revision's overlay: any bundle fields but `clusters` and `revisions`. */
export type RevisionOverlay = ClusterOverlay;
