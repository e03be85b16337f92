// The seed's table: whether the webhook's namespaceSelector (istio-injection=enabled) sends the pod × the
// bundle's policy × the pod's sidecar.istio.io/inject annotation (null: none) → injected. A pod the
// selector does not send is never injected; one it sends follows injectRequired.
export const SEED_TABLE: readonly [boolean, 'enabled' | 'disabled', string | null, boolean][] = [
  [true, 'enabled', null, true],
  [true, 'enabled', 'true', true],
  [true, 'enabled', 'false', false],
  [true, 'disabled', null, false],
  [true, 'disabled', 'true', true],
  [true, 'disabled', 'false', false],
  [false, 'enabled', null, false],
  [false, 'enabled', 'true', false],
  [false, 'enabled', 'false', false],
  [false, 'disabled', null, false],
  [false, 'disabled', 'true', false],
  [false, 'disabled', 'false', false],
];
