import { type ConfigRuntime, cacheTimesFromEnv, isFile, logToStderr, readLocal } from '../config/from-env.ts';
import { parseSourceUri } from '../config/source-uri.ts';
import { createStores, storeSettingsFromEnv } from '../config/stores.ts';
import { parseClusterKeys } from './keys.ts';
import { storedKeysAuthorizer } from './stored-keys.ts';
import { type Authorizer, createAuthorizer } from './verify.ts';

/**
 * Caller authentication as the functions run it: on unless OUTRIGGER_AUTH=off, with the cluster secrets'
 * hashes from OUTRIGGER_AUTH_KEYS, inline JSON (it starts with `{`) or a source URI as OUTRIGGER_CONFIG
 * takes (lib/auth/stored-keys.ts). On with no keys is an error rather than a function that refuses
 * everyone, so a forgotten setting fails the deployment instead of every pod creation.
 */
export function authFromEnv(
  env: NodeJS.ProcessEnv,
  runtime: Pick<ConfigRuntime, 'now' | 'log' | 'stores'> = {},
): { ok: true; authorize: Authorizer | undefined; warning?: string } | { ok: false; error: string } {
  const mode = env.OUTRIGGER_AUTH || 'on';
  if (mode === 'off') {
    return {
      ok: true,
      authorize: undefined,
      warning: 'OUTRIGGER_AUTH=off: anyone who can reach this URL can inject and read the rendered templates',
    };
  }
  if (mode !== 'on') return { ok: false, error: `OUTRIGGER_AUTH must be "on" or "off", not "${mode}"` };
  const value = (env.OUTRIGGER_AUTH_KEYS ?? '').trim();
  if (value === '') {
    return {
      ok: false,
      error:
        'caller authentication is on but OUTRIGGER_AUTH_KEYS is not set: set it to {"<cluster>":"sha256:<hex>"} ' +
        '(outrigger auth-hash --cluster <cluster> < secret-file) or to a source holding that JSON ' +
        '(secretsmanager://, s3://, gs://, a file), or OUTRIGGER_AUTH=off for a private endpoint',
    };
  }
  if (value.startsWith('{')) {
    const parsed = parseClusterKeys(value);
    if (!parsed.ok) return parsed;
    return { ok: true, authorize: createAuthorizer(parsed.keys) };
  }
  try {
    const ref = parseSourceUri(value);
    const authorize = storedKeysAuthorizer(ref, {
      stores: runtime.stores ?? createStores(storeSettingsFromEnv(env)),
      now: runtime.now ?? Date.now,
      log: runtime.log ?? logToStderr,
      ...cacheTimesFromEnv(env),
      ...(isFile(ref) && { initial: readLocal(ref) }),
    });
    return { ok: true, authorize };
  } catch (err) {
    return { ok: false, error: `OUTRIGGER_AUTH_KEYS: ${(err as Error).message}` };
  }
}
