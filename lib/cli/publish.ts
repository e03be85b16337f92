import { layerBundles } from '../config/bundle.ts';
import { type ClusterLookup, clusterConfigs } from '../config/cluster-configs.ts';
import { DEFAULT_BUNDLE } from '../config/default.ts';
import { parseBundleDocument } from '../config/parse.ts';
import { parseSourceUri } from '../config/source-uri.ts';
import { createStores, type Stores, storeSettingsFromEnv } from '../config/stores.ts';
import { InjectionError } from '../errors.ts';
import { versionIdOf, versionRef } from '../rollout/content.ts';
import { isRollout } from '../rollout/document.ts';
import { loadVersion, versionFromSnapshot } from '../rollout/load-version.ts';
import { type BundleFormat, bundleDocument } from './bundle.ts';
import { readCorpus, type Verification, verifyCorpus } from './verify.ts';

export interface PublishOptions {
  format: BundleFormat;
  /** A folder or multi-document YAML of manifests every workload of which must render (see verify.ts). */
  verifyWith?: string;
  /**
   * The bundle the corpus is compared with: a bundle version URI, or a rollout document (its default
   * version). Without it, the embedded default profile.
   */
  against?: string;
  /** Cluster ids to render the corpus for, each with its overlay (default: no cluster). */
  clusters?: string[];
  /** Check, verify and print, but write nothing. */
  dryRun?: boolean;
}

export interface PublishResult {
  /** The URI of the immutable version: what a rollout document names. */
  uri: string;
  /** Its content hash id, as log lines and metrics name it. */
  id: string;
  /** false: this content was published before, the version is the one there; undefined: not known. */
  created: boolean | undefined;
  written: boolean;
  verification?: Verification;
  /** What happened, for a person (stderr). */
  report: string;
}

/** publish refused to write: the report says which workloads failed and why. */
export class PublishRefused extends InjectionError {
  constructor(
    message: string,
    readonly verification: Verification,
  ) {
    super('config', message);
  }
}

/**
 * `outrigger publish DIR --to URI`: stores the bundle in DIR as a new immutable version (an S3 or GCS
 * object or a file named by the content hash, a Secrets Manager version whose VersionId is the hash),
 * never replacing what any cluster reads, after checking that it compiles over the default and, with
 * `verifyWith`, that every workload of the corpus renders to a valid pod. Returns the version's URI.
 */
export async function publishVersion(
  path: string,
  to: string,
  options: PublishOptions,
  env: NodeJS.ProcessEnv,
): Promise<PublishResult> {
  const target = parseSourceUri(to);
  const text = bundleDocument(path, options.format);
  // Checked from the exact text uploaded and layered over the default as the function will layer it,
  // so template syntax errors, missing templates and bad cluster overlays stop here, not in production.
  const next = clusterConfigs(layerBundles(DEFAULT_BUNDLE, parseBundleDocument(text, path)), path);
  const stores = createStores(storeSettingsFromEnv(env));
  const ref = versionRef(target, text, options.format);
  const id = versionIdOf(text);
  const report: string[] = [];
  let verification: Verification | undefined;
  if (options.verifyWith !== undefined) {
    const { lookup: current, label } = await currentBundle(options.against, stores);
    verification = verifyCorpus(readCorpus(options.verifyWith), current, next, options.clusters);
    report.push(`verify ${options.verifyWith}: ${label} → ${path}\n${verification.text}`);
    if (verification.failed > 0) {
      throw new PublishRefused(
        `${report.join('')}refusing to publish ${path}: ${verification.failed} workload render${verification.failed === 1 ? ' fails' : 's fail'} with it; nothing was written`,
        verification,
      );
    }
  }
  if (options.dryRun) {
    report.push(`dry run: would publish ${path} as ${ref.uri} (version ${id}); nothing was written\n`);
    return { uri: ref.uri, id, created: undefined, written: false, verification, report: report.join('') };
  }
  const published = await stores.publish(ref, text);
  const how = published.created === false ? 'already published, unchanged' : 'published';
  report.push(`${how}: ${path} as ${published.ref.uri} (version ${id})\n`);
  return {
    uri: published.ref.uri,
    id,
    created: published.created,
    written: published.created !== false,
    verification,
    report: report.join(''),
  };
}

async function currentBundle(
  against: string | undefined,
  stores: Stores,
): Promise<{ lookup: ClusterLookup; label: string }> {
  if (against === undefined)
    return { lookup: clusterConfigs(DEFAULT_BUNDLE, 'embedded default'), label: 'embedded default' };
  const ref = parseSourceUri(against);
  const fetched = await stores.readFirst(ref);
  const layer = fetched.parse();
  if (isRollout(layer)) {
    const loaded = await loadVersion(layer.default, stores);
    return { lookup: loaded.lookup, label: `${layer.default} (default of ${against})` };
  }
  // A bundle version: the one just read, not read again.
  return { lookup: versionFromSnapshot(against, fetched, layer).lookup, label: against };
}
