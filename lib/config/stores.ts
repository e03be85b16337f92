import { errorMessage, InjectionError } from '../errors.ts';
import {
  type BundleStore,
  type ConfigSource,
  type IfVersion,
  type SourceSnapshot,
  WriteConflict,
} from './source.ts';
import type { SourceRef } from './source-uri.ts';
import type { StoreSettings } from './store-settings.ts';
import { fileStore } from './sources/file.ts';
import { createGcsStore } from './sources/gcs.ts';
import { createS3Store } from './sources/s3.ts';
import { createSecretsManagerStore } from './sources/secrets-manager.ts';

const DEFAULT_STORE_TIMEOUT_MS = 3000;

/** The standard endpoint variables of each SDK, so one build runs against the cloud and local servers. */
export function storeSettingsFromEnv(env: NodeJS.ProcessEnv): StoreSettings {
  const timeout = env.OUTRIGGER_CONFIG_TIMEOUT;
  const seconds = timeout === undefined || timeout === '' ? undefined : Number(timeout);
  if (seconds !== undefined && !(seconds > 0)) {
    throw new InjectionError('config', `OUTRIGGER_CONFIG_TIMEOUT must be seconds above 0, not "${timeout}"`);
  }
  return {
    timeoutMs: seconds === undefined ? DEFAULT_STORE_TIMEOUT_MS : seconds * 1000,
    secretsManagerEndpoint: env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL || undefined,
    s3Endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined,
    gcsEndpoint: env.STORAGE_EMULATOR_HOST || undefined,
  };
}

export interface Stores {
  source(ref: SourceRef): ConfigSource;
  /**
   * The document at `ref` as it is now, for a reader that holds no version of it yet (a command, a
   * rollout version's first load): a store never answers such a read "unchanged".
   */
  readFirst(ref: SourceRef): Promise<SourceSnapshot>;
  /**
   * Replaces the document at `ref` (a rollout document) and returns the version the store gave it.
   * With `ifVersion`, fails with WriteConflict when the document is no longer the version read.
   */
  write(ref: SourceRef, text: string, ifVersion?: IfVersion): Promise<string>;
  /** Stores one immutable bundle version at a name only this content has (see BundleStore.publish). */
  publish(ref: SourceRef, text: string): Promise<{ ref: SourceRef; created: boolean | undefined }>;
}

/**
 * Every store, each made on first use and kept: one client per store per instance, and none for a
 * store no URI names. Failures come back as `config source <uri>: <cause>`.
 */
export function createStores(settings: StoreSettings): Stores {
  const secretsManager = once(() => createSecretsManagerStore(settings));
  const s3 = once(() => createS3Store(settings));
  const gcs = once(() => createGcsStore(settings));
  const storeOf = (ref: SourceRef): BundleStore<SourceRef> => {
    switch (ref.scheme) {
      case 'file':
        return fileStore;
      case 'secretsmanager':
        return secretsManager();
      case 's3':
        return s3();
      case 'gs':
        return gcs();
    }
  };
  const source = (ref: SourceRef): ConfigSource => ({
    uri: ref.uri,
    fetch: (known) => storeOf(ref).read(ref, known).catch(rethrowFor(ref.uri)),
  });
  return {
    source,
    readFirst: async (ref) => {
      const fetched = await source(ref).fetch(undefined);
      if (fetched === 'unchanged')
        throw new InjectionError('internal', `${ref.uri}: the store answered "unchanged" to a first read`);
      return fetched;
    },
    write: (ref, text, ifVersion) =>
      storeOf(ref)
        .write(ref, text, ifVersion)
        .catch((err: unknown) => {
          if (err instanceof WriteConflict) throw err;
          return rethrowFor(ref.uri)(err);
        }),
    publish: (ref, text) => storeOf(ref).publish(ref, text).catch(rethrowFor(ref.uri)),
  };
}

function once<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

/** A store's failure, naming the source; `notFound` when the store says the document does not exist. */
export class SourceError extends InjectionError {
  constructor(
    message: string,
    readonly notFound: boolean,
  ) {
    super('config-unavailable', message);
  }
}

function rethrowFor(uri: string) {
  return (err: unknown): never => {
    throw new SourceError(`config source ${uri}: ${describe(err)}`, isNotFound(err));
  };
}

/** S3 NoSuchKey, Secrets Manager ResourceNotFoundException, GCS 404, a missing file. */
function isNotFound(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    e?.name === 'ResourceNotFoundException' ||
    e?.code === 404 ||
    e?.code === 'ENOENT' ||
    e?.$metadata?.httpStatusCode === 404
  );
}

/** SDK errors carry the service's error code as their name (ResourceNotFoundException, NoSuchKey). */
function describe(err: unknown): string {
  const name = err instanceof Error && err.name !== 'Error' ? err.name : '';
  const message = errorMessage(err);
  if (!name || message.startsWith(name)) return message || name;
  return message ? `${name}: ${message}` : name;
}
