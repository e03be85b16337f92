import type { InjectorConfig } from '../config/compile.ts';
import { errorMessage, InjectionError } from '../errors.ts';
import { injectPod } from '../inject/inject-pod.ts';
import type { JsonObject } from '../json.ts';
import type { Pod } from '../kube/types.ts';
import { parseInjectEnvs } from '../path/params.ts';
import { type AdmissionAnswer, decodeReview, encodeReview, uidOf, V1BETA1, versionOf } from './review.ts';

/** What happened to one review, for the request log line and metrics. */
export interface ReviewOutcome {
  uid: string;
  namespace: string;
  kind: string;
  result: 'injected' | 'skipped' | 'failed';
  reason: string;
  templates: string[];
  errorCode?: string;
}

export interface ReviewSettings {
  /** Revision this deployment serves (`istio.io/rev`); "" is the default revision. */
  revision: string;
  /**
   * The config for a cluster (from the URL path; "" when none). Called only once a pod needs it, so a
   * review that fails to decode never touches the store.
   */
  config: (cluster: string) => Promise<InjectorConfig>;
}

/**
 * AdmissionReview in → AdmissionReview out, in the request's version with its uid. Every failure is an
 * answer (`allowed: false` and a message naming the cause), never an exception.
 */
export async function handleReview(
  body: unknown,
  path: string,
  settings: ReviewSettings,
): Promise<{ review: JsonObject; outcome: ReviewOutcome }> {
  const version = versionOf(body);
  const outcome: ReviewOutcome = {
    uid: uidOf(body),
    namespace: '',
    kind: '',
    result: 'failed',
    reason: '',
    templates: [],
  };
  const answer = (a: AdmissionAnswer) => ({ review: encodeReview(version, outcome.uid, a), outcome });
  try {
    const req = decodeReview(body);
    outcome.namespace = req.namespace;
    outcome.kind = req.kind.kind;
    if (req.kind.kind !== 'Pod' || req.kind.group !== '') {
      outcome.result = 'skipped';
      outcome.reason = `not a Pod (${req.kind.kind || 'no kind'}); allowed unchanged`;
      return answer({ allowed: true });
    }
    if (!req.object)
      throw new InjectionError('bad-request', 'invalid AdmissionReview: request.object is missing');
    const proxyEnvs = parseInjectEnvs(path);
    const config = await settings.config(proxyEnvs.ISTIO_META_CLUSTER_ID ?? '');
    const result = injectPod(req.object as Pod, config, {
      namespace: req.namespace,
      proxyEnvs,
      revision: settings.revision,
    });
    outcome.reason = result.decision.reason;
    outcome.templates = result.templates;
    if (!result.decision.inject) {
      outcome.result = 'skipped';
      return answer({ allowed: true });
    }
    outcome.result = 'injected';
    return answer({ allowed: true, patch: Buffer.from(JSON.stringify(result.patch)).toString('base64') });
  } catch (err) {
    outcome.result = 'failed';
    outcome.reason = errorMessage(err);
    outcome.errorCode = err instanceof InjectionError ? err.code : 'internal';
    return answer({ allowed: false, message: outcome.reason });
  }
}

/** The answer to a body that is not a review at all: v1beta1 shape with an empty uid, as Istio answers. */
export function unreadableReview(message: string): { review: JsonObject; outcome: ReviewOutcome } {
  return {
    review: encodeReview(V1BETA1, '', { allowed: false, message }),
    outcome: {
      uid: '',
      namespace: '',
      kind: '',
      result: 'failed',
      reason: message,
      templates: [],
      errorCode: 'bad-request',
    },
  };
}
