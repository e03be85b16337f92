import type { InjectorConfig } from '../config/compile.ts';
import { finishPod } from '../finish/finish.ts';
import { PROXY_CONTAINER } from '../finish/reorder.ts';
import { parseStatus, STATUS_ANNOTATION } from '../finish/status.ts';
import { isObject, type JsonObject } from '../json.ts';
import type { Pod } from '../kube/types.ts';
import {
  adjustInitContainerUser,
  foldProxyIntoInit,
  moveProxyToInit,
  reapplyOverrides,
  reinsertRecordedOverrides,
} from '../merge/overrides.ts';
import { strategicMerge } from '../merge/strategic.ts';
import { createPatch, type PatchOperation } from '../patch/create-patch.ts';
import { type Decision, decide } from '../policy/decide.ts';
import { buildTemplateData, type RequestContext } from '../template/data.ts';
import { DEFAULT_PROXY_CONFIG } from '../template/proxy-config.ts';
import { renderTemplate } from '../template/render.ts';
import { selectTemplates } from '../template/select.ts';
import { validateAnnotations } from '../validate/annotations.ts';
import type { ReviewBudget } from './budget.ts';
import { stripPreviousInjection } from './strip.ts';

export interface InjectContext extends RequestContext {
  /** The namespace of the admission request, for pods made by controllers (they carry none). */
  namespace: string;
  /** Replaces the bundle's policy; kube-inject forces `enabled`, as istioctl does. */
  policy?: string;
  /** The time the review may take; none for the CLI, whose input is the user's own manifest. */
  budget?: ReviewBudget;
}

export interface InjectOutcome {
  decision: Decision;
  templates: string[];
  /** The pod as the API server will store it; the input pod when skipped. */
  pod: Pod;
  /** Empty when skipped. */
  patch: PatchOperation[];
}

/**
 * The injection pipeline for one pod, as one straight line: decide → validate → render → merge →
 * finish → patch. Pure: everything it reads is in its arguments, and the input pod is never modified.
 */
export function injectPod(input: Pod, config: InjectorConfig, ctx: InjectContext): InjectOutcome {
  const original = normalise(input, ctx.namespace);
  const bundle = config.bundle;
  const decision = decide(
    { ...bundle, policy: ctx.policy ?? bundle.policy },
    original.spec ?? {},
    original.metadata ?? {},
  );
  if (!decision.inject) return { decision, templates: [], pod: original, patch: [] };

  const budget = ctx.budget;
  validateAnnotations(original.metadata?.annotations);
  const previous = parseStatus(original.metadata?.annotations?.[STATUS_ANNOTATION]);
  const templatePod = previous
    ? reinsertRecordedOverrides(stripPreviousInjection(original, previous, meshStatusPort(bundle.mesh)))
    : original;
  budget?.check('removing the previous injection');
  const data = buildTemplateData(templatePod, config, ctx);
  const templates = selectTemplates(templatePod, bundle.defaultTemplates, bundle.aliases, config.templates);
  const fragments = templates.map((name) => {
    budget?.check(`before template ${name}`);
    return renderTemplate(config, name, data, budget);
  });

  // What the templates added on their own (status, overrides) and the pod with them merged in.
  let rendered: Pod = {};
  let merged: Pod = original;
  for (const fragment of fragments) {
    budget?.check('merging the templates');
    rendered = foldProxyIntoInit(strategicMerge(rendered, fragment) as Pod, PROXY_CONTAINER);
    if (rendered.spec?.initContainers?.some((c) => c.name === PROXY_CONTAINER))
      merged = moveProxyToInit(merged, PROXY_CONTAINER);
    merged = foldProxyIntoInit(strategicMerge(merged, fragment) as Pod, PROXY_CONTAINER);
  }
  budget?.check('merging the templates');
  merged = reapplyOverrides(merged, original, rendered.spec ?? {}, previous);
  const interceptionMode =
    original.metadata?.annotations?.['sidecar.istio.io/interceptionMode'] ??
    String(data.proxyConfig.interceptionMode);
  merged = adjustInitContainerUser(merged, original, interceptionMode);
  const pod = finishPod(merged, {
    config,
    data,
    proxyEnvs: ctx.proxyEnvs,
    rendered,
    previouslyInjected: previous !== undefined,
  });
  budget?.check('finishing the pod');
  const patch = createPatch(patchBase(input, original), pod);
  budget?.check('computing the patch');
  return { decision, templates, pod, patch };
}

/**
 * What the patch is computed against: the pod as the API server holds it. A pod whose metadata is null
 * or missing gets its metadata whole (namespace included); otherwise the filled namespace is on both
 * sides and costs no operation.
 */
function patchBase(input: Pod, original: Pod): Pod {
  if (isObject(input.metadata)) return original;
  const { metadata: _, ...rest } = original;
  return (input.metadata === null ? { ...rest, metadata: null } : rest) as Pod;
}

function meshStatusPort(mesh: JsonObject): string {
  const configured = isObject(mesh.defaultConfig) ? mesh.defaultConfig.statusPort : undefined;
  return String(configured ?? DEFAULT_PROXY_CONFIG.statusPort);
}

/** Fills the request namespace and drops managedFields (large, and never ours to change). */
function normalise(pod: Pod, namespace: string): Pod {
  const { managedFields: _, ...meta } = pod.metadata ?? {};
  if (!meta.namespace && namespace) meta.namespace = namespace;
  return { ...pod, metadata: meta };
}
