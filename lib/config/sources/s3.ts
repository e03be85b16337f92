import {
  type BundleStore,
  checkSourceSize,
  MAX_SOURCE_BYTES,
  textSnapshot,
  WriteConflict,
} from '../source.ts';
import { formatSourceUri, type SourceRef } from '../source-uri.ts';
import type { StoreSettings } from '../store-settings.ts';
import { awsClientOptions } from './aws-client-options.ts';

type ObjectRef = Extract<SourceRef, { scheme: 's3' }>;
type Sdk = typeof import('./sdk/s3.ts');

/**
 * Amazon S3 (or an S3-compatible store at AWS_ENDPOINT_URL_S3): a bundle is one object, its version the
 * ETag. A refresh sends If-None-Match, so an unchanged object costs a 304 and no download. Published
 * versions are objects named by their content hash, written only when absent (If-None-Match: *); a
 * rollout document is replaced with If-Match on the ETag its writer read.
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
        // Checked before the body is read; an answer without a length is not read at all.
        if (out.ContentLength === undefined || out.ContentLength > MAX_SOURCE_BYTES) {
          (out.Body as { destroy?: () => void }).destroy?.();
          if (out.ContentLength === undefined)
            throw new Error(`${ref.uri}: the store sent no Content-Length, so its size is unknown`);
          checkSourceSize(ref.uri, out.ContentLength);
        }
        return textSnapshot(out.ETag, await out.Body.transformToString('utf8'), ref.uri);
      } catch (err) {
        if (known !== undefined && httpStatus(err) === 304) return 'unchanged';
        throw err;
      }
    },

    async write(ref, text, ifVersion) {
      const { sdk, client } = await connect();
      try {
        const out = await client.send(
          new sdk.PutObjectCommand({
            Bucket: ref.bucket,
            Key: ref.key,
            Body: text,
            ...(ifVersion === null && { IfNoneMatch: '*' }),
            ...(typeof ifVersion === 'string' && { IfMatch: ifVersion }),
          }),
        );
        return out.ETag ?? '';
      } catch (err) {
        if (ifVersion !== undefined && (httpStatus(err) === 412 || httpStatus(err) === 409))
          throw new WriteConflict(`${formatSourceUri(ref)} changed since it was read`);
        throw err;
      }
    },

    async publish(ref, text) {
      const { sdk, client } = await connect();
      try {
        await client.send(new sdk.HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
        // The name is the content's hash: what is there is this version (readers check it).
        return { ref, created: false };
      } catch (err) {
        // 403: without s3:ListBucket S3 answers a missing key so; the conditional put decides.
        if (httpStatus(err) !== 404 && httpStatus(err) !== 403) throw err;
      }
      try {
        await client.send(
          new sdk.PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: text, IfNoneMatch: '*' }),
        );
        return { ref, created: true };
      } catch (err) {
        // Another publish of the same content won the race.
        if (httpStatus(err) === 412) return { ref, created: false };
        throw err;
      }
    },
  };
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
