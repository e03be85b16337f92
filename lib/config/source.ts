import type { ConfigLayer } from './layer.ts';
import { parseConfigDocument } from './parse.ts';

/** One layer as a store holds it at one version. Parsing waits until the cache knows the version is new. */
export interface SourceSnapshot {
  /** Names this exact content: Secrets Manager VersionId, S3 ETag, GCS generation, file content hash. */
  version: string;
  /** The document as stored, when it is one text (not a bundle directory). */
  text?: string;
  parse(): ConfigLayer;
}

/** The store confirmed that the version the caller already holds is still current. */
export type Fetched = SourceSnapshot | 'unchanged';

/** One layer of the config, ready to read: a URI bound to its store. */
export interface ConfigSource {
  uri: string;
  /** `known` is the version the caller holds, so a store can answer "unchanged" without a download. */
  fetch(known: string | undefined): Promise<Fetched>;
}

/**
 * For a write in place: the store version the writer read (the write fails if the document changed
 * since), `null` for "must not exist yet", undefined for an unconditional write.
 */
export type IfVersion = string | null | undefined;

/** A place bundles are read from and published to (Secrets Manager, S3, GCS, files). */
export interface BundleStore<Ref> {
  read(ref: Ref, known: string | undefined): Promise<Fetched>;
  /** Replaces the document at `ref` (a rollout document) and returns the version the store gave it. */
  write(ref: Ref, text: string, ifVersion?: IfVersion): Promise<string>;
  /**
   * Stores one immutable bundle version at `ref`, a name no other content can have (see
   * lib/rollout/content.ts), never replacing what is there. Returns the ref that reads exactly this
   * version back (a GCS ref gains its generation).
   */
  publish(ref: Ref, text: string): Promise<{ ref: Ref; created: boolean | undefined }>;
}

/** The write found another version than the one the writer read. */
export class WriteConflict extends Error {
  override readonly name = 'WriteConflict';
}

/**
 * The most any config source may hold, read from any store: a bundle is some 100-200 KiB of YAML with
 * its templates. Bigger is refused before it is read whole, so a source cannot fill the instance.
 */
export const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

/** Refuses a source of `bytes` over MAX_SOURCE_BYTES, naming it and its size. */
export function checkSourceSize(uri: string, bytes: number): void {
  if (bytes > MAX_SOURCE_BYTES)
    throw new Error(`${uri} is ${bytes} bytes; a config source may hold at most ${MAX_SOURCE_BYTES}`);
}

export function textSnapshot(version: string, text: string, uri: string): SourceSnapshot {
  return { version, text, parse: () => parseConfigDocument(text, uri) };
}
