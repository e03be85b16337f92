import { createConfigCache } from '../config/cache.ts';
import type { SourceSnapshot } from '../config/source.ts';
import type { SourceRef } from '../config/source-uri.ts';
import type { Stores } from '../config/stores.ts';
import { parseClusterKeys } from './keys.ts';
import { type Authorizer, type AuthVerdict, createAuthorizer } from './verify.ts';

export interface StoredKeysOptions {
  stores: Stores;
  now: () => number;
  ttlMs: number;
  maxStaleMs: number;
  log: (entry: Record<string, unknown>) => void;
  /** Snapshot already read (a local file), so an unreadable key file fails start-up, not requests. */
  initial?: SourceSnapshot;
}

// Says nothing of the store to a caller who may be anyone; the log line ("auth keys refresh failed")
// names the source and the cause.
const KEYS_UNAVAILABLE: AuthVerdict = {
  allowed: false,
  status: 503,
  reason: 'caller keys unavailable; see the injector log',
};

/**
 * The cluster keys read from a config source (a Secrets Manager secret, an S3 or GCS object, a file)
 * instead of the environment, so clusters are added and secrets rotated without a deploy. They are held
 * as the config is (lib/config/cache.ts): refreshed in the background once per TTL, one fetch at a time,
 * the last good copy kept up to max stale while the store fails. A request waits only when no good copy
 * is held (a cold start): then it waits for the one fetch, its body still unread.
 */
export function storedKeysAuthorizer(ref: SourceRef, options: StoredKeysOptions): Authorizer {
  const label = `OUTRIGGER_AUTH_KEYS (${ref.uri})`;
  const cache = createConfigCache<Authorizer, Authorizer>({
    sources: [options.stores.source(ref)],
    name: 'auth keys',
    parse: (snapshot) => authorizerOf(snapshot, label),
    build: ([authorize]) => authorize as Authorizer,
    now: options.now,
    ttlMs: options.ttlMs,
    maxStaleMs: options.maxStaleMs,
    log: options.log,
    ...(options.initial && { initial: [options.initial] }),
  });
  return (cluster, credentials) => {
    const held = cache.current();
    if (held) return held(cluster, credentials);
    return cache.get().then(
      (authorize) => authorize(cluster, credentials),
      () => KEYS_UNAVAILABLE,
    );
  };
}

function authorizerOf(snapshot: SourceSnapshot, label: string): Authorizer {
  if (snapshot.text === undefined) throw new Error(`${label} must be one document, not a directory`);
  const parsed = parseClusterKeys(snapshot.text, label);
  if (!parsed.ok) throw new Error(parsed.error);
  return createAuthorizer(parsed.keys);
}
