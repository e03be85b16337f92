import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { InjectionError } from '../errors.ts';
import { formatSourceUri, type SourceRef } from '../config/source-uri.ts';

/**
 * Bundle versions are named by their content: the id of a version is the first 16 hex digits of the
 * SHA-256 of the document as stored, the same in every store, and it is in the version's name where
 * the store lets us choose one (`bundle.<id>.yaml` in S3, GCS and files; the Secrets Manager VersionId
 * is the first 32 digits). So a name can hold no other content, and a reader can check it holds this one.
 */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function versionIdOf(text: string): string {
  return contentHash(text).slice(0, 16);
}

const HASHED_NAME = /\.([0-9a-f]{16})(\.[A-Za-z0-9]+)?$/;

/**
 * Where `publish --to REF` stores this text: next to REF's name with the id before the extension
 * (`outrigger/bundle.yaml` → `outrigger/bundle.<id>.yaml`; a name ending in `/` gets `bundle.<id>.<ext>`
 * inside it), or for Secrets Manager a version of the secret whose VersionId is the hash.
 */
export function versionRef(ref: SourceRef, text: string, ext: string): SourceRef {
  const hash = contentHash(text);
  const id = hash.slice(0, 16);
  const named = (name: string) => {
    if (name.endsWith('/') || name === '') return `${name}bundle.${id}.${ext}`;
    const base = posix.basename(name);
    const dot = base.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, name.length - base.length + dot) : name;
    const suffix = dot > 0 ? base.slice(dot) : '';
    return `${stem}.${id}${suffix}`;
  };
  const withUri = (r: DistributiveOmit<SourceRef, 'uri'>): SourceRef =>
    ({ ...r, uri: formatSourceUri(r) }) as SourceRef;
  switch (ref.scheme) {
    case 'file':
      return withUri({ scheme: 'file', path: named(ref.path) });
    case 's3':
      return withUri({ scheme: 's3', bucket: ref.bucket, key: named(ref.key) });
    case 'gs':
      return withUri({ scheme: 'gs', bucket: ref.bucket, object: named(ref.object) });
    case 'secretsmanager':
      if (ref.versionStage || ref.versionId)
        throw new InjectionError(
          'config',
          `publish --to ${ref.uri}: name the secret alone; publish makes the version`,
        );
      return withUri({ scheme: 'secretsmanager', secretId: ref.secretId, versionId: hash.slice(0, 32) });
  }
}

/** The id a version's URI shows, when its name carries one. */
export function versionIdOfRef(ref: SourceRef): string | undefined {
  switch (ref.scheme) {
    case 'secretsmanager':
      return ref.versionId && /^[0-9a-f]{32}$/.test(ref.versionId) ? ref.versionId.slice(0, 16) : undefined;
    case 'file':
      return HASHED_NAME.exec(ref.path)?.[1];
    case 's3':
      return HASHED_NAME.exec(ref.key)?.[1];
    case 'gs':
      return HASHED_NAME.exec(ref.object)?.[1];
  }
}

/** A version whose name carries a content hash must hold that content: an overwrite is refused. */
export function checkContent(ref: SourceRef, text: string): string {
  const id = versionIdOf(text);
  const named = versionIdOfRef(ref);
  if (named !== undefined && named !== id) {
    throw new InjectionError(
      'config',
      `bundle version ${ref.uri}: its content hashes to ${id}, not the ${named} its name says; it was overwritten (publish again and name the new version)`,
    );
  }
  return id;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
