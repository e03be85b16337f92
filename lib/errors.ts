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
