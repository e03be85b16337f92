import { configForRevision } from '../config/cluster-configs.ts';
import type { InjectorConfig } from '../config/compile.ts';
import { errorMessage, InjectionError } from '../errors.ts';
import { DEFAULT_REVIEW_BUDGET_MS, ReviewBudget } from '../inject/budget.ts';
import { type InjectContext, injectPod } from '../inject/inject-pod.ts';
import type { CachedInjection, InjectionCache } from '../inject/result-cache.ts';
import type { JsonObject } from '../json.ts';
import type { Pod } from '../kube/types.ts';
import { workloadOf } from '../kube/workload.ts';
import { parseInjectPath } from '../path/params.ts';
import { revisionKey } from '../policy/revision.ts';
import { checkPodLimits } from './pod-limits.ts';
import { checkPodShape } from './pod-shape.ts';
import {
  type AdmissionAnswer,
  base64Json,
  decodeReview,
  encodeReview,
  uidOf,
  V1BETA1,
  versionOf,
} from './review.ts';

/** What happened to one review, for the request log line and metrics. */
export interface ReviewOutcome {
  uid: string;
  namespace: string;
  kind: string;
  result: 'injected' | 'skipped' | 'failed';
  reason: string;
  templates: string[];
  errorCode?: string;
  /** `Kind/name` of the owning workload (Deployment, CronJob, ... or the pod), when it has a name. */
  workload?: string;
  /** The version of the config the review was answered with. */
  configVersion?: string;
}

export interface ReviewSettings {
  /**
   * Revision this deployment serves (`istio.io/rev`); "" is the default revision. A request whose path
   * names one (`/inject/.../rev/<name>`) is for that revision instead.
   */
  revision: string;
  /**
   * The config for a cluster (from the URL path; "" when none). Called only once a pod needs it, so a
   * review that fails to decode never touches the store.
   */
  config: (cluster: string) => Promise<InjectorConfig>;
  /**
   * When no config can be loaded at all (store down at a cold start): `deny` (the default) fails the
   * review naming the source and the cause; `allow` admits the pod uninjected, with a warning saying why.
   */
  onConfigUnavailable?: 'deny' | 'allow';
  /** Results of earlier reviews, so the replicas of one workload cost two injections, not one each. */
  cache?: InjectionCache;
  /** The time one review may take (DEFAULT_REVIEW_BUDGET_MS), measured on `clock` (performance.now). */
  budgetMs?: number;
  clock?: () => number;
  /**
   * The longest patch (base64 characters) the platform can deliver in its answer: past it the pod is
   * refused naming the size, instead of the platform failing the call without a reason.
   */
  maxPatchBytes?: number;
}

/**
 * AdmissionReview in → AdmissionReview out, in the request's version with its uid. Every failure is an
 * answer (`allowed: false` and a message naming the cause), never an exception.
 */
export async function handleReview(
  body: unknown,
  path: string,
  settings: ReviewSettings,
  /** The UTF-8 size of the request body `body` was parsed from, when known (InjectionCache.key). */
  bodyBytes?: number,
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
    checkPodShape(req.object);
    checkPodLimits(req.object as Pod);
    outcome.workload = workloadLabel(req.object as Pod);
    const { envs: proxyEnvs, revision: pathRevision } = parseInjectPath(path);
    const clusterConfig = await settings.config(proxyEnvs.ISTIO_META_CLUSTER_ID ?? '');
    // The path's revision (`/rev/<name>`) picks one of the bundle's revisions; so does the deployment's
    // own (OUTRIGGER_REVISION) when the bundle lists it. A deployment serving one revision with a bundle
    // that lists none serves its own revision from the bundle itself.
    const revision = pathRevision ?? settings.revision;
    const listed = clusterConfig.revision?.(revision);
    const config =
      listed ??
      (pathRevision === undefined || revisionKey(pathRevision) === revisionKey(settings.revision)
        ? clusterConfig
        : configForRevision(clusterConfig, pathRevision));
    outcome.configVersion = config.version;
    const result = injectCached(
      req.object as Pod,
      config,
      {
        namespace: req.namespace,
        proxyEnvs,
        revision: revisionKey(revision),
        budget: new ReviewBudget(
          settings.budgetMs ?? DEFAULT_REVIEW_BUDGET_MS,
          settings.clock ?? performance.now.bind(performance),
        ),
      },
      settings.cache,
      bodyBytes,
    );
    outcome.reason = result.decision.reason;
    outcome.templates = result.templates;
    if (!result.decision.inject) {
      outcome.result = 'skipped';
      return answer({ allowed: true });
    }
    if (settings.maxPatchBytes !== undefined && result.patch.length > settings.maxPatchBytes) {
      throw new InjectionError(
        'too-large',
        `the injected pod's patch is ${result.patch.length} bytes, over the ${settings.maxPatchBytes} this platform can answer with; the pod is too large to inject here`,
      );
    }
    outcome.result = 'injected';
    return answer({ allowed: true, patch: result.patch });
  } catch (err) {
    outcome.result = 'failed';
    outcome.reason = errorMessage(err);
    outcome.errorCode = err instanceof InjectionError ? err.code : 'internal';
    if (outcome.errorCode === 'config-unavailable' && settings.onConfigUnavailable === 'allow') {
      outcome.result = 'skipped';
      return answer({ allowed: true, warnings: [`sidecar not injected: ${outcome.reason}`] });
    }
    return answer({ allowed: false, message: outcome.reason });
  }
}

/** injectPod, answered from the cache when an identical pod (but for its identity) was injected before. */
function injectCached(
  pod: Pod,
  config: InjectorConfig,
  ctx: InjectContext,
  cache: InjectionCache | undefined,
  bodyBytes: number | undefined,
): CachedInjection {
  const key = cache?.key(pod, config, ctx, bodyBytes);
  const hit = key === undefined ? undefined : cache?.get(key);
  if (hit) return hit;
  const result = injectPod(pod, config, ctx);
  const fresh = {
    decision: result.decision,
    templates: result.templates,
    patch: base64Json(result.patch),
  };
  if (key !== undefined) cache?.set(key, fresh);
  return fresh;
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

/** `Kind/name` for the log line. Never fails the review: a malformed owner reference is for the pipeline to report. */
function workloadLabel(pod: Pod): string | undefined {
  try {
    const w = workloadOf(pod);
    return w.name ? `${w.kind}/${w.name}` : undefined;
  } catch {
    return undefined;
  }
}
