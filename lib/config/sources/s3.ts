import { type BundleStore, textSnapshot } from '../source.ts';
import type { SourceRef } from '../source-uri.ts';
import type { StoreSettings } from '../stores.ts';
import { awsClientOptions } from './aws-client-options.ts';

type ObjectRef = Extract<SourceRef, { scheme: 's3' }>;
type Sdk = typeof import('./sdk/s3.ts');

/**
 * Amazon S3 (or an S3-compatible store at AWS_ENDPOINT_URL_S3): a bundle is one object, its version the
 * ETag. A refresh sends If-None-Match, so an unchanged object costs a 304 and no download.
 */
export function createS3Store(settings: StoreSettings): BundleStore<ObjectRef> {
  let connection: Promise<{ sdk: Sdk; client: InstanceType<Sdk['S3Client']> }> | undefined;
  const connect = () =>
    (connection ??= import('./sdk/s3.ts').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        ...awsClientOptions(settings.s3Endpoint, settings),
        // Custom endpoints (MinIO, s3rver, LocalStack) rarely resolve bucket subdomains.
        forcePathStyle: settings.s3Endpoint !== undefined,
        // S3-compatible stores reject or mangle the SDK's default CRC32 trailers; AWS accepts either.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    })));

  return {
    async read(ref, known) {
      const { sdk, client } = await connect();
      try {
        const out = await client.send(
          new sdk.GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, IfNoneMatch: known }),
        );
        if (!out.ETag || !out.Body) throw new Error('GetObject returned no ETag or no body');
        return textSnapshot(out.ETag, await out.Body.transformToString('utf8'), ref.uri);
      } catch (err) {
        if (known !== undefined && httpStatus(err) === 304) return 'unchanged';
        throw err;
      }
    },

    async write(ref, text) {
      const { sdk, client } = await connect();
      const out = await client.send(
        new sdk.PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: text }),
      );
      return out.ETag ?? '';
    },
  };
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
