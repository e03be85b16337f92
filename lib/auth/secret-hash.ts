import { createHash } from 'node:crypto';

/**
 * The SHA-256 of `<cluster>:<secret>`. Binding the cluster id into what is hashed makes one cluster's
 * secret worthless on another cluster's path, and keeps the stored form reproducible with standard
 * tools: `printf '%s:%s' "$CLUSTER" "$SECRET" | sha256sum`.
 */
export function secretDigest(cluster: string, secret: string): Buffer {
  return createHash('sha256').update(`${cluster}:${secret}`).digest();
}

/** The stored form of a cluster's secret, as OUTRIGGER_AUTH_KEYS holds it: `sha256:<64 hex digits>`. */
export function secretHash(cluster: string, secret: string): string {
  return `sha256:${secretDigest(cluster, secret).toString('hex')}`;
}
