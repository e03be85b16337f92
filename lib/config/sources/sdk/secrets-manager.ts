// The Secrets Manager client as an ES module of our own: see ./s3.ts for why the lazy chunk goes through
// a static import.
export {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
