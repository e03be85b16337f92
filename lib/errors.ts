/**
 * Why an injection could not happen, in words a user can act on. The code is stable (logs, metrics,
 * tests); the message names the field or annotation at fault and is what the API server shows the user.
 */
export type InjectionErrorCode =
  | 'bad-request' // the AdmissionReview itself is malformed
  | 'bad-annotation' // a pod annotation failed validation
  | 'template' // a template failed to render or produced invalid YAML
  | 'unknown-template' // inject.istio.io/templates names a template the config does not have
  | 'config' // the config bundle is invalid
  | 'config-unavailable' // the config store could not be read
  | 'budget' // the review ran out of its time budget
  | 'too-large' // the answer would pass the platform's response limit
  | 'internal';

export class InjectionError extends Error {
  override readonly name = 'InjectionError';
  constructor(
    readonly code: InjectionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A YAML parse error without js-yaml's quoted source lines: the text may be a secret's content (a
 * config bundle) and the message reaches every pod creator. Line and column are enough to find it.
 */
export function yamlProblem(err: unknown): string {
  const e = err as { reason?: unknown; mark?: { line?: unknown; column?: unknown } };
  if (typeof e?.reason !== 'string') return errorMessage(err);
  const line = typeof e.mark?.line === 'number' ? e.mark.line + 1 : undefined;
  const column = typeof e.mark?.column === 'number' ? e.mark.column + 1 : undefined;
  return line === undefined ? e.reason : `${e.reason} (line ${line}, column ${column})`;
}
