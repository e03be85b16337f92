import { parseClusterKeys } from './keys.ts';
import { type Authorizer, createAuthorizer } from './verify.ts';

/**
 * Caller authentication as the functions run it: on unless OUTRIGGER_AUTH=off, with the cluster secrets'
 * hashes from OUTRIGGER_AUTH_KEYS. On with no keys is an error rather than a function that refuses
 * everyone, so a forgotten setting fails the deployment instead of every pod creation.
 */
export function authFromEnv(
  env: NodeJS.ProcessEnv,
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
  const json = env.OUTRIGGER_AUTH_KEYS ?? '';
  if (json.trim() === '') {
    return {
      ok: false,
      error:
        'caller authentication is on but OUTRIGGER_AUTH_KEYS is not set: set it to {"<cluster>":"sha256:<hex>"} ' +
        '(outrigger auth-hash --cluster <cluster> < secret-file), or OUTRIGGER_AUTH=off for a private endpoint',
    };
  }
  const parsed = parseClusterKeys(json);
  if (!parsed.ok) return parsed;
  return { ok: true, authorize: createAuthorizer(parsed.keys) };
}
