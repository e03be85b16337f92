// A pod through the admission path (handleReview) and what comes back: shared by the tests that check
// what a profile, a template or a finishing step puts in the injected pod.
import assert from 'node:assert/strict';
import { applyPatch } from 'rfc6902';
import { handleReview } from '../../lib/admission/handle-review.ts';
import { layerBundles, type PartialBundle } from '../../lib/config/bundle.ts';
import { compileBundle, type InjectorConfig } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { review } from './reviews.ts';

/** A complete config for `profile` with `layers` over it. */
export function configOf(profile: string, ...layers: PartialBundle[]): InjectorConfig {
  return compileBundle(layerBundles(DEFAULT_BUNDLE, { profile }, ...layers), profile);
}

export interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  securityContext?: Record<string, unknown>;
}
export interface PodOut {
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[] };
}

/** The pod as the webhook's patch makes it. */
export async function webhook(config: InjectorConfig, pod: object, path = '/inject'): Promise<PodOut> {
  const { review: out } = await handleReview(review(pod), path, { revision: '', config: async () => config });
  const response = out.response as { allowed: boolean; patch?: string; status?: { message: string } };
  assert.equal(response.allowed, true, response.status?.message);
  const got = structuredClone(pod) as PodOut;
  applyPatch(got, JSON.parse(Buffer.from(response.patch ?? 'W10=', 'base64').toString('utf8')));
  return got;
}

export function proxyOf(pod: PodOut): Container {
  const proxy = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find(
    (c) => c.name === 'istio-proxy',
  );
  assert.ok(proxy, 'istio-proxy injected');
  return proxy;
}

export const env = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

const defaultConfig = compileBundle(DEFAULT_BUNDLE, 'default');

/** The default config's answer to a review of `pod`, allowed or not. */
export async function answer(pod: unknown) {
  const { review: out } = await handleReview(review(pod), '/inject', {
    revision: '',
    config: async () => defaultConfig,
  });
  return out.response as { allowed: boolean; patch?: string; status?: { message: string } };
}
