import { type BundleStore, textSnapshot, WriteConflict } from '../source.ts';
import type { SourceRef } from '../source-uri.ts';
import type { StoreSettings } from '../store-settings.ts';
import { awsClientOptions } from './aws-client-options.ts';

type SecretRef = Extract<SourceRef, { scheme: 'secretsmanager' }>;
type Sdk = typeof import('./sdk/secrets-manager.ts');

/**
 * AWS Secrets Manager: a bundle is the secret's SecretString (or SecretBinary, as UTF-8 text), its
 * version the VersionId. The SDK is loaded and the client made on first use, so instances that never
 * read a secret never pay for either. A published bundle is a version of the secret whose VersionId is
 * its content hash (the idempotency token), labelled PUBLISHED_STAGE, so AWSCURRENT (what readers of
 * the secret get) does not move; `?versionId=` reads exactly that version.
 */
export function createSecretsManagerStore(settings: StoreSettings): BundleStore<SecretRef> {
  let connection: Promise<{ sdk: Sdk; client: InstanceType<Sdk['SecretsManagerClient']> }> | undefined;
  const connect = () =>
    (connection ??= import('./sdk/secrets-manager.ts').then((sdk) => ({
      sdk,
      client: new sdk.SecretsManagerClient(awsClientOptions(settings.secretsManagerEndpoint, settings)),
    })));

  return {
    async read(ref, known) {
      // A VersionId names content that never changes: nothing to ask the store.
      if (ref.versionId !== undefined && ref.versionId === known) return 'unchanged';
      const { sdk, client } = await connect();
      const out = await client.send(
        new sdk.GetSecretValueCommand({
          SecretId: ref.secretId,
          VersionStage: ref.versionStage,
          VersionId: ref.versionId,
        }),
      );
      if (!out.VersionId) throw new Error('GetSecretValue returned no VersionId');
      if (out.VersionId === known) return 'unchanged';
      const text = out.SecretString ?? (out.SecretBinary && Buffer.from(out.SecretBinary).toString('utf8'));
      if (text === undefined) throw new Error('the secret holds neither SecretString nor SecretBinary');
      return textSnapshot(out.VersionId, text, ref.uri);
    },

    async write(ref, text, ifVersion) {
      const { sdk, client } = await connect();
      if (ifVersion !== undefined) {
        // Secrets Manager has no conditional put: checked just before writing, which narrows the race
        // between two writers to the time of one call.
        const current = await client
          .send(new sdk.GetSecretValueCommand({ SecretId: ref.secretId, VersionStage: ref.versionStage }))
          .then(
            (out) => out.VersionId ?? '',
            (err: Error) => {
              if (err.name === 'ResourceNotFoundException') return null;
              throw err;
            },
          );
        if (current !== ifVersion)
          throw new WriteConflict(`secret ${ref.secretId} changed since it was read`);
      }
      try {
        const out = await client.send(
          new sdk.PutSecretValueCommand({
            SecretId: ref.secretId,
            SecretString: text,
            VersionStages: ref.versionStage ? [ref.versionStage] : undefined,
          }),
        );
        return out.VersionId ?? '';
      } catch (err) {
        if ((err as Error).name !== 'ResourceNotFoundException') throw err;
      }
      // The first publish creates the secret (labelled AWSCURRENT, as every new secret is).
      const out = await client.send(new sdk.CreateSecretCommand({ Name: ref.secretId, SecretString: text }));
      return out.VersionId ?? '';
    },

    async publish(ref, text) {
      const { sdk, client } = await connect();
      const token = ref.versionId;
      if (!token) throw new Error('a published version needs its VersionId');
      try {
        // The same token with the same text is a no-op; AWSCURRENT stays where it is.
        await client.send(
          new sdk.PutSecretValueCommand({
            SecretId: ref.secretId,
            SecretString: text,
            ClientRequestToken: token,
            VersionStages: [PUBLISHED_STAGE],
          }),
        );
        return { ref, created: undefined };
      } catch (err) {
        if ((err as Error).name !== 'ResourceNotFoundException') throw err;
      }
      // The first publish creates the secret; its one version is AWSCURRENT, as every new secret's is.
      await client.send(
        new sdk.CreateSecretCommand({ Name: ref.secretId, SecretString: text, ClientRequestToken: token }),
      );
      return { ref, created: true };
    },
  };
}

/**
 * The label of the newest published version. Versions are immutable, but Secrets Manager may delete a
 * version with no label once a secret has more than 100 (and it is over 24 hours old): the rollout
 * commands check every version they name exists before writing.
 */
export const PUBLISHED_STAGE = 'outrigger-published';
