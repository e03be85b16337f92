import type { PartialBundle } from './bundle.ts';
import { parseBundleDocument } from './parse.ts';

/** One layer as a store holds it at one version. Parsing waits until the cache knows the version is new. */
export interface SourceSnapshot {
  /** Names this exact content: Secrets Manager VersionId, S3 ETag, GCS generation, file content hash. */
  version: string;
  parse(): PartialBundle;
}

/** The store confirmed that the version the caller already holds is still current. */
export type Fetched = SourceSnapshot | 'unchanged';

/** One layer of the config, ready to read: a URI bound to its store. */
export interface ConfigSource {
  uri: string;
  /** `known` is the version the caller holds, so a store can answer "unchanged" without a download. */
  fetch(known: string | undefined): Promise<Fetched>;
}

/** A place bundles are read from and published to (Secrets Manager, S3, GCS, files). */
export interface BundleStore<Ref> {
  read(ref: Ref, known: string | undefined): Promise<Fetched>;
  /** Stores one bundle document and returns the version the store gave it. */
  write(ref: Ref, text: string): Promise<string>;
}

export function textSnapshot(version: string, text: string, uri: string): SourceSnapshot {
  return { version, parse: () => parseBundleDocument(text, uri) };
}
