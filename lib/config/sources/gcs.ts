import type { Storage } from '@google-cloud/storage';
import { type BundleStore, checkSourceSize, textSnapshot, WriteConflict } from '../source.ts';
import { formatSourceUri, type SourceRef } from '../source-uri.ts';
import type { StoreSettings } from '../store-settings.ts';

type ObjectRef = Extract<SourceRef, { scheme: 'gs' }>;

/**
 * Google Cloud Storage (or an emulator at STORAGE_EMULATOR_HOST): a bundle is one object, its version
 * the generation. A read takes the metadata first (the generation, the size, the encoding) and downloads
 * only a new generation; a ref pinned to a generation (`#<generation>`, what publish prints) is read
 * once and never changes. Writes
 * carry ifGenerationMatch: 0 for a published version (never replaced), the generation read for a
 * rollout document.
 */
export function createGcsStore(settings: StoreSettings): BundleStore<ObjectRef> {
  let storage: Promise<Storage> | undefined;
  const connect = () =>
    (storage ??= import('./sdk/gcs.ts').catch(notPackaged).then(
      ({ Storage }) =>
        new Storage({
          apiEndpoint: settings.gcsEndpoint,
          timeout: settings.timeoutMs,
          // One retry after at most 1 s (the client's default pause is 1-2 s; its upload retrier
          // rejects less than 1 s), as for AWS: a cold fetch must fit inside the webhook's timeout.
          retryOptions: { maxRetries: 1, maxRetryDelay: 1 },
        }),
    ));

  return {
    async read(ref, known) {
      if (ref.generation !== undefined && ref.generation === known) return 'unchanged';
      const bucket = (await connect()).bucket(ref.bucket);
      const [metadata] = await bucket.file(ref.object, { generation: ref.generation }).getMetadata();
      const generation = ref.generation ?? String(metadata.generation ?? '');
      if (!generation) throw new Error('the object metadata has no generation');
      if (generation === known) return 'unchanged';
      // The size the metadata gives is what a download of this generation returns, unless the object
      // is stored compressed, which the client would inflate to any size: refused (publish never
      // compresses).
      const encoding = String(metadata.contentEncoding ?? '');
      if (encoding !== '' && encoding !== 'identity')
        throw new Error(
          `${ref.uri} is stored with Content-Encoding ${encoding}; a bundle is stored uncompressed`,
        );
      checkSourceSize(ref.uri, Number(metadata.size ?? 0));
      // Pinned to the generation just read, so the text always matches the version it is cached under.
      const [data] = await bucket.file(ref.object, { generation }).download({ decompress: false });
      checkSourceSize(ref.uri, data.length);
      return textSnapshot(generation, data.toString('utf8'), ref.uri);
    },

    async write(ref, text, ifVersion) {
      const file = (await connect()).bucket(ref.bucket).file(ref.object);
      const ifGenerationMatch =
        ifVersion === null ? 0 : ifVersion === undefined ? undefined : Number(ifVersion);
      try {
        await file.save(text, {
          resumable: false,
          ...(ifGenerationMatch !== undefined && { preconditionOpts: { ifGenerationMatch } }),
        });
      } catch (err) {
        if (ifGenerationMatch !== undefined && statusOf(err) === 412)
          throw new WriteConflict(
            `${formatSourceUri({ scheme: 'gs', bucket: ref.bucket, object: ref.object })} changed since it was read`,
          );
        throw err;
      }
      return String(file.metadata.generation ?? '');
    },

    async publish(ref, text) {
      const file = (await connect()).bucket(ref.bucket).file(ref.object);
      let created = true;
      try {
        await file.save(text, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
      } catch (err) {
        if (statusOf(err) !== 412) throw err;
        // Already published: the name is the content's hash, so the live generation is this version.
        created = false;
        await file.getMetadata();
      }
      const generation = String(file.metadata.generation ?? '');
      if (!generation) throw new Error('the object metadata has no generation');
      const pinned = { ...ref, generation, uri: formatSourceUri({ ...ref, generation }) };
      return { ref: pinned, created };
    },
  };
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** The Lambda zip leaves the Cloud Storage client out (serverless.yml): say so, not "Cannot find module". */
function notPackaged(err: unknown): never {
  if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND')
    throw new Error(
      'gs:// sources are not in this package (the Lambda zip carries the AWS stores only); keep the config in S3 or Secrets Manager',
    );
  throw err;
}
