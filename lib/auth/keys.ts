import { isObject } from '../json.ts';

/** Per cluster id, the SHA-256 digests (32 bytes each) of the secrets it may present. */
export type ClusterKeys = ReadonlyMap<string, readonly Buffer[]>;

const HASH = /^sha256:([0-9a-f]{64})$/;
const WANT =
  '{"<cluster>":"sha256:<64 hex digits>"} (make one with: outrigger auth-hash --cluster <cluster>)';

/**
 * Reads OUTRIGGER_AUTH_KEYS: a JSON map of cluster id to the hash of its secret, or to a list of hashes
 * so a secret can be rotated without refusing the cluster in between. `label` names where the JSON came
 * from in errors.
 */
export function parseClusterKeys(
  json: string,
  label = 'OUTRIGGER_AUTH_KEYS',
): { ok: true; keys: ClusterKeys } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    // The parser's message quotes the input, which may be a secret pasted by mistake: not repeated.
    return { ok: false, error: `${label} is not JSON; want ${WANT}` };
  }
  if (!isObject(raw)) return { ok: false, error: `${label} is not a JSON object; want ${WANT}` };
  const keys = new Map<string, Buffer[]>();
  for (const [cluster, value] of Object.entries(raw)) {
    const hashes = Array.isArray(value) ? value : [value];
    const digests: Buffer[] = [];
    for (const hash of hashes) {
      const hex = typeof hash === 'string' ? HASH.exec(hash)?.[1] : undefined;
      if (hex === undefined) {
        return {
          ok: false,
          error: `${label}[${JSON.stringify(cluster)}] is not a sha256 hash (a secret pasted by mistake is not shown); want ${WANT}`,
        };
      }
      digests.push(Buffer.from(hex, 'hex'));
    }
    keys.set(cluster, digests);
  }
  if (keys.size === 0) return { ok: false, error: `${label} names no cluster; want ${WANT}` };
  return { ok: true, keys };
}
