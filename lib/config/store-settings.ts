/** How the store clients are made: what stores.ts reads from the environment and each store takes. */
export interface StoreSettings {
  /** Per request to a remote store: a cold fetch must fit inside the webhook's own timeout (10 s default). */
  timeoutMs: number;
  /** Custom endpoints (local servers, S3-compatible stores); undefined means the cloud's own. */
  secretsManagerEndpoint?: string;
  s3Endpoint?: string;
  gcsEndpoint?: string;
}
