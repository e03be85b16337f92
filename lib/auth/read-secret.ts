// Below this a secret can be guessed from its hash (hashes sit in plain environment variables).
const MIN_SECRET_LENGTH = 16;

/**
 * The secret `outrigger auth-hash` was given on standard input: one trailing newline dropped (echo and
 * files add it), everything else kept, since the API server sends it back byte for byte.
 */
export function secretFromInput(text: string): { ok: true; secret: string } | { ok: false; error: string } {
  const secret = text.replace(/\r?\n$/, '');
  if (secret.length < MIN_SECRET_LENGTH) {
    return {
      ok: false,
      error: `the secret on standard input is ${secret.length} characters; use at least ${MIN_SECRET_LENGTH}, e.g. openssl rand -hex 32`,
    };
  }
  if (/[\s/?#%]/.test(secret)) {
    return {
      ok: false,
      error:
        'the secret contains whitespace or one of / ? # %, which do not survive a URL path; use e.g. openssl rand -hex 32',
    };
  }
  return { ok: true, secret };
}
