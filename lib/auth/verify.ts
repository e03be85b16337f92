import { timingSafeEqual } from 'node:crypto';
import type { ClusterKeys } from './keys.ts';
import { secretDigest } from './secret-hash.ts';

export type AuthVerdict = { allowed: true } | { allowed: false; status: 401 | 403; reason: string };

/** Decides whether a request may use a cluster's path, from the credentials it presented. */
export type Authorizer = (cluster: string, credentials: readonly (string | undefined)[]) => AuthVerdict;

// Longer credentials are refused unhashed, so a caller cannot make every refusal cost a hash of a
// megabyte per configured cluster.
const MAX_CREDENTIAL_LENGTH = 512;

const ALLOWED: AuthVerdict = { allowed: true };
// One generic line each: a caller learns nothing about which clusters exist or what was wrong.
const UNAUTHORIZED: AuthVerdict = { allowed: false, status: 401, reason: 'unauthorized' };
const FORBIDDEN: AuthVerdict = { allowed: false, status: 403, reason: 'forbidden' };

/**
 * A credential (path secret or bearer token) is valid for a cluster when SHA-256(`<cluster>:<credential>`)
 * is one of the cluster's stored digests. 403 tells an operator who pasted another cluster's URL or
 * token apart from a stranger (401); only then are the other clusters' digests tried.
 */
export function createAuthorizer(keys: ClusterKeys): Authorizer {
  return (cluster, credentials) => {
    const given = credentials.filter(
      (c): c is string => c !== undefined && c !== '' && c.length <= MAX_CREDENTIAL_LENGTH,
    );
    if (given.length === 0) return UNAUTHORIZED;
    if (given.some((secret) => isValidFor(keys, cluster, secret))) return ALLOWED;
    for (const other of keys.keys()) {
      if (other !== cluster && given.some((secret) => isValidFor(keys, other, secret))) return FORBIDDEN;
    }
    return UNAUTHORIZED;
  };
}

function isValidFor(keys: ClusterKeys, cluster: string, secret: string): boolean {
  const stored = keys.get(cluster);
  if (!stored) return false;
  const digest = secretDigest(cluster, secret);
  // Fixed-length digests compared in constant time: timing reveals nothing about the stored hash.
  return stored.some((d) => timingSafeEqual(d, digest));
}
