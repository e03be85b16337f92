import type { Storage } from '@google-cloud/storage';
import { type BundleStore, textSnapshot } from '../source.ts';
import type { SourceRef } from '../source-uri.ts';
import type { StoreSettings } from '../stores.ts';

type ObjectRef = Extract<SourceRef, { scheme: 'gs' }>;

/**
 * Google Cloud Storage (or an emulator at STORAGE_EMULATOR_HOST): a bundle is one object, its version
 * the generation. A refresh reads the metadata first and downloads only a new generation.
 */
export function createGcsStore(settings: StoreSettings): BundleStore<ObjectRef> {
  let storage: Promise<Storage> | undefined;
  const connect = () =>
    (storage ??= import('./sdk/gcs.ts').then(
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
      const bucket = (await connect()).bucket(ref.bucket);
      const [metadata] = await bucket.file(ref.object).getMetadata();
      const generation = String(metadata.generation ?? '');
      if (!generation) throw new Error('the object metadata has no generation');
      if (generation === known) return 'unchanged';
      // Pinned to the generation just read, so the text always matches the version it is cached under.
      const [data] = await bucket.file(ref.object, { generation }).download();
      return textSnapshot(generation, data.toString('utf8'), ref.uri);
    },

    async write(ref, text) {
      const file = (await connect()).bucket(ref.bucket).file(ref.object);
      await file.save(text, { resumable: false });
      return String(file.metadata.generation ?? '');
    },
  };
}
