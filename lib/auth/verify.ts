import { timingSafeEqual } from 'node:crypto';
import type { ClusterKeys } from './keys.ts';
import { secretDigest } from './secret-hash.ts';

/** 503: the keys to judge by could not be loaded (lib/auth/stored-keys.ts). */
export type AuthVerdict = { allowed: true } | { allowed: false; status: 401 | 403 | 503; reason: string };

/**
 * Decides whether a request may use a cluster's path, from the credentials it presented: at once when
 * the keys are in memory, later when they are still being loaded.
 */
export type Authorizer = (
  cluster: string,
  credentials: readonly (string | undefined)[],
) => AuthVerdict | Promise<AuthVerdict>;

// Longer credentials are refused unhashed, so a caller cannot make every refusal cost a hash of a
// megabyte per configured cluster.
const MAX_CREDENTIAL_LENGTH = 512;

const ALLOWED: AuthVerdict = { allowed: true };
// One generic line each: a caller learns nothing about which clusters exist or what was wrong.
const UNAUTHORIZED: AuthVerdict = { allowed: false, status: 401, reason: 'unauthorized' };
const FORBIDDEN: AuthVerdict = { allowed: false, status: 403, reason: 'forbidden' };

/**
 * Digests a second the 403 check may compute on one instance: about 20 ms of CPU. Telling a cluster's
 * operator that the credential belongs to another cluster costs one digest per other cluster and
 * credential (5 ms for two credentials in a fleet of 1,000), which an anonymous flood of wrong
 * credentials could otherwise make every request pay. Past the budget a wrong credential gets 401.
 */
export const FORBIDDEN_CHECK_DIGESTS_PER_SECOND = 20_000;

/**
 * A credential (path secret or bearer token) is valid for a cluster when SHA-256(`<cluster>:<credential>`)
 * is one of the cluster's stored digests. 403 tells an operator who pasted another cluster's URL or
 * token apart from a stranger (401); only then, within FORBIDDEN_CHECK_DIGESTS_PER_SECOND, are the other
 * clusters' digests tried.
 */
export function createAuthorizer(
  keys: ClusterKeys,
  now: () => number = performance.now.bind(performance),
): (cluster: string, credentials: readonly (string | undefined)[]) => AuthVerdict {
  let budget = FORBIDDEN_CHECK_DIGESTS_PER_SECOND;
  let refilledAt = now();
  const takeBudget = (digests: number): boolean => {
    const t = now();
    budget = Math.min(
      FORBIDDEN_CHECK_DIGESTS_PER_SECOND,
      budget + ((t - refilledAt) / 1000) * FORBIDDEN_CHECK_DIGESTS_PER_SECOND,
    );
    refilledAt = t;
    if (budget < digests) return false;
    budget -= digests;
    return true;
  };
  return (cluster, credentials) => {
    const given = credentials.filter(
      (c): c is string => c !== undefined && c !== '' && c.length <= MAX_CREDENTIAL_LENGTH,
    );
    if (given.length === 0) return UNAUTHORIZED;
    if (given.some((secret) => isValidFor(keys, cluster, secret))) return ALLOWED;
    if (!takeBudget(keys.size * given.length)) return UNAUTHORIZED;
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
