import { type BundleStore, textSnapshot } from '../source.ts';
import type { SourceRef } from '../source-uri.ts';
import type { StoreSettings } from '../stores.ts';
import { awsClientOptions } from './aws-client-options.ts';

type SecretRef = Extract<SourceRef, { scheme: 'secretsmanager' }>;
type Sdk = typeof import('./sdk/secrets-manager.ts');

/**
 * AWS Secrets Manager: a bundle is the secret's SecretString (or SecretBinary, as UTF-8 text), its
 * version the VersionId. The SDK is loaded and the client made on first use, so instances that never
 * read a secret never pay for either.
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
      const { sdk, client } = await connect();
      const out = await client.send(
        new sdk.GetSecretValueCommand({ SecretId: ref.secretId, VersionStage: ref.versionStage }),
      );
      if (!out.VersionId) throw new Error('GetSecretValue returned no VersionId');
      if (out.VersionId === known) return 'unchanged';
      const text = out.SecretString ?? (out.SecretBinary && Buffer.from(out.SecretBinary).toString('utf8'));
      if (text === undefined) throw new Error('the secret holds neither SecretString nor SecretBinary');
      return textSnapshot(out.VersionId, text, ref.uri);
    },

    async write(ref, text) {
      const { sdk, client } = await connect();
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
  };
}
