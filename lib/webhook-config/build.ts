import type { JsonObject } from '../json.ts';
import { REVISION_KEY } from '../path/params.ts';
import { MIRROR_KEY } from '../policy/decide.ts';
import { revisionKey } from '../policy/revision.ts';
import { istioSelectorWebhooks, SYSTEM_NAMESPACES } from './selectors.ts';
import { webhookUrlProblems } from './url.ts';

export interface WebhookConfigOptions {
  /** The function's URL for the cluster (`https://HOST/inject/cluster/<id>/net/<net>`). */
  url: string;
  /**
   * The revision (`istio.io/rev`) the webhooks are for; "" (or "default") for the default revision.
   * A revision's webhooks call `<url>/rev/<revision>` (`<url>:ENV:rev=<revision>` for the `:ENV:` path
   * form), which the function serves from the bundle's `revisions.<revision>`.
   */
  revision: string;
  /**
   * Makes this the webhook configuration of a revision tag (`istioctl tag set <tag> --revision
   * <revision>`): pods select it by `istio.io/rev: <tag>` and the calls go to the revision's URL; tag
   * `default` also takes Istio's default-revision selectors (`istio-injection=enabled`, ...).
   */
  tag?: string;
  failurePolicy: string;
  timeoutSeconds: number;
  reinvocationPolicy: string;
  namespaceMode: string;
  /** PEM of the CA that signed the URL's certificate; none when it chains to a public CA. */
  caBundlePem?: string;
  name?: string;
}

/**
 * The end of every webhook's name. Not Istio's `sidecar-injector.istio.io`: istiod's cert patcher
 * (pkg/webhooks/webhookpatch.go) writes its own CA into the caBundle of every webhook so named in a
 * configuration labelled with its revision, and the API server would then refuse the function's
 * certificate. The istio.io/rev and istio.io/tag labels stay, as Istio's tooling reads them.
 */
const WEBHOOK_SUFFIX = 'sidecar-injector.outrigger.dev';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A MutatingWebhookConfiguration (admissionregistration.k8s.io/v1) that sends pod creations to the
 * function's external URL, selecting pods as Istio's own webhooks do. Every invalid option is reported,
 * each naming its flag, before anything is built.
 */
export function buildWebhookConfig(
  options: WebhookConfigOptions,
): { ok: true; config: JsonObject } | { ok: false; errors: string[] } {
  const revision = revisionKey(options.revision);
  const tag = options.tag;
  const urlProblems = webhookUrlProblems(options.url);
  const errors = [
    ...urlProblems.map((p) => `--url ${JSON.stringify(options.url)}: ${p}`),
    // The path is read only from a URL the API server would take.
    ...(urlProblems.length ? [] : pathProblems(options.url)),
    ...problems(options, revision),
  ];
  if (errors.length) return { ok: false, errors };

  const clientConfig: JsonObject = { url: revisionUrl(options.url, revision) };
  if (options.caBundlePem) clientConfig.caBundle = Buffer.from(options.caBundlePem).toString('base64');
  // A tag's pods carry the tag as their istio.io/rev; the `default` tag is the default revision's.
  const selected = tag === undefined ? revision : revisionKey(tag);
  const webhooks = istioSelectorWebhooks(selected, options.namespaceMode as 'label' | 'all').map((w) => ({
    name: `${w.prefix}${WEBHOOK_SUFFIX}`,
    clientConfig,
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    namespaceSelector: w.namespaceSelector as JsonObject,
    objectSelector: w.objectSelector as JsonObject,
    // The selectors cannot name a namespace without a label on it; CEL can, and keeps the calls (and the
    // cold starts they may cost) for system pods away from the function.
    matchConditions: [
      {
        name: 'skip-system-namespaces',
        expression: `!(request.namespace in [${SYSTEM_NAMESPACES.map((n) => `'${n}'`).join(', ')}])`,
      },
      // Kubernetes' webhook good practice: a mirror pod is the kubelet's copy of a static pod, never mutated.
      {
        name: 'skip-mirror-pods',
        expression: `!has(object.metadata.annotations) || !('${MIRROR_KEY}' in object.metadata.annotations)`,
      },
    ],
    failurePolicy: options.failurePolicy,
    reinvocationPolicy: options.reinvocationPolicy,
    sideEffects: 'None',
    timeoutSeconds: options.timeoutSeconds,
    admissionReviewVersions: ['v1', 'v1beta1'],
  }));
  return {
    ok: true,
    config: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: {
        name:
          options.name ??
          (tag !== undefined
            ? `outrigger-revision-tag-${tag}`
            : revision
              ? `outrigger-sidecar-injector-${revision}`
              : 'outrigger-sidecar-injector'),
        labels: {
          app: 'sidecar-injector',
          'istio.io/rev': revision || 'default',
          ...(tag !== undefined && { 'istio.io/tag': tag }),
        },
      },
      webhooks,
    },
  };
}

/**
 * The URL a revision's webhooks call: the cluster's URL with the revision added in the path's own form.
 * Key/value pairs get a `rev/<revision>` pair; the `/inject/:ENV:k=v:ENV:...` form gets `:ENV:rev=<revision>`,
 * as each of its values runs to the next `:ENV:` (a `/rev/<revision>` would become part of the last value).
 * Both are read back by parseInjectPath (lib/path/params.ts).
 */
export function revisionUrl(url: string, revision: string): string {
  if (!revision) return url;
  const u = new URL(url);
  if (isEnvForm(u.pathname)) {
    // parseInjectPath drops one trailing slash, and no more: the last value keeps any other.
    const path = u.pathname.endsWith('/') ? u.pathname.slice(0, -1) : u.pathname;
    u.pathname = `${path}:ENV:${REVISION_KEY}=${revision}`;
  } else {
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/${REVISION_KEY}/${revision}`;
  }
  return u.toString();
}

const isEnvForm = (path: string) => path.startsWith('/inject/:ENV:');

/**
 * The path after /inject is key/value pairs (or `:ENV:key=value` entries), so a revision can be added;
 * it may not name one itself.
 */
function pathProblems(url: string): string[] {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return [];
  }
  if (path !== '/inject' && !path.startsWith('/inject/')) {
    return [
      `--url ${JSON.stringify(url)}: the webhook answers at /inject (https://HOST/inject/cluster/<id>/...); at ${JSON.stringify(path)} every call would get 404`,
    ];
  }
  const named = `--url ${JSON.stringify(url)}: names a revision`;
  if (isEnvForm(path)) {
    const entries = path.slice('/inject/'.length).split(':ENV:');
    return entries.some((e) => e.startsWith(`${REVISION_KEY}=`))
      ? [`${named} (:ENV:${REVISION_KEY}=...); give it with --revision instead`]
      : [];
  }
  const segments = path.replace(/\/+$/, '').split('/').slice(2);
  const out: string[] = [];
  if (segments.length % 2 !== 0) {
    out.push(
      `--url ${JSON.stringify(url)}: the path after /inject must be key/value pairs (cluster/<id>/net/<net>/...), not an odd number of segments`,
    );
  }
  if (segments.some((s, i) => i % 2 === 0 && s === REVISION_KEY)) {
    out.push(`${named} (${REVISION_KEY}/...); give it with --revision instead`);
  }
  return out;
}

function problems(o: WebhookConfigOptions, revision: string): string[] {
  const out: string[] = [];
  const oneOf = (flag: string, value: string, allowed: string[]) => {
    if (!allowed.includes(value))
      out.push(`${flag} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  };
  oneOf('--failure-policy', o.failurePolicy, ['Fail', 'Ignore']);
  oneOf('--reinvocation', o.reinvocationPolicy, ['Never', 'IfNeeded']);
  oneOf('--namespace-mode', o.namespaceMode, ['label', 'all']);
  if (!Number.isInteger(o.timeoutSeconds) || o.timeoutSeconds < 1 || o.timeoutSeconds > 30) {
    out.push(
      `--timeout must be a whole number of seconds from 1 to 30 (the API server's range), not ${o.timeoutSeconds}`,
    );
  }
  if (revision && (revision.length > 63 || !DNS_LABEL.test(revision))) {
    out.push(
      `--revision ${JSON.stringify(revision)} is not a valid label value (lower-case letters, digits, '-', at most 63)`,
    );
  }
  if (o.tag !== undefined && (o.tag.length > 63 || !DNS_LABEL.test(o.tag))) {
    out.push(
      `--tag ${JSON.stringify(o.tag)} is not a valid label value (lower-case letters, digits, '-', at most 63)`,
    );
  }
  if (o.tag !== undefined && o.tag !== 'default' && o.namespaceMode === 'all') {
    out.push('--namespace-mode all is for the default revision or the default tag only');
  }
  if (revision && o.tag === undefined && o.namespaceMode === 'all') {
    out.push(
      '--namespace-mode all is for the default revision only (as Istio enableNamespacesByDefault); a revision is chosen by label',
    );
  }
  if (o.name !== undefined && (o.name.length > 253 || !DNS_SUBDOMAIN.test(o.name))) {
    out.push(
      `--name ${JSON.stringify(o.name)} is not a valid object name (a DNS subdomain: lower-case letters, digits, '-', '.')`,
    );
  }
  if (o.caBundlePem !== undefined && !o.caBundlePem.includes('-----BEGIN CERTIFICATE-----')) {
    out.push('--ca-bundle holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  return out;
}

export interface WebhookConfigsOptions extends Omit<WebhookConfigOptions, 'revision' | 'tag'> {
  /** One webhook configuration per revision (`default` or "" for the default revision). */
  revisions: string[];
  /** One per revision tag, pointing at its revision. */
  tags: { tag: string; revision: string }[];
}

/**
 * The webhook configurations of a deployment that serves several revisions: one per revision, as each
 * revisioned istiod has its own, and one per tag, as `istioctl tag set` makes them. Namespaces move
 * between revisions by their `istio.io/rev` label, and a tag moves all of its namespaces at once.
 */
export function buildWebhookConfigs(
  options: WebhookConfigsOptions,
): { ok: true; configs: JsonObject[] } | { ok: false; errors: string[] } {
  const revisions = options.revisions.map(revisionKey);
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const r of revisions) {
    if (seen.has(r)) errors.push(`--revision ${r || 'default'} is given twice`);
    seen.add(r);
  }
  const tags = new Set<string>();
  for (const { tag, revision } of options.tags) {
    if (tags.has(tag)) errors.push(`--tag ${tag} is given twice`);
    tags.add(tag);
    if (tag !== 'default' && revisions.includes(tag))
      errors.push(`--tag ${tag}=${revision}: a tag cannot have the name of a revision`);
    if (tag === 'default' && revisions.includes(''))
      errors.push(
        `--tag default=${revision}: the default revision's own webhooks already take the default selectors; give either --revision default or --tag default`,
      );
    if (tag === 'default' && (revision === '' || revision === 'default'))
      errors.push('--tag default must point at a revision other than the default');
  }
  const count = revisions.length + options.tags.length;
  if (options.name !== undefined && count > 1)
    errors.push(`--name names one webhook configuration, and these flags make ${count}`);
  const built = [
    ...revisions.map((revision) => buildWebhookConfig({ ...options, revision })),
    ...options.tags.map(({ tag, revision }) => buildWebhookConfig({ ...options, revision, tag })),
  ];
  for (const b of built) if (!b.ok) errors.push(...b.errors.filter((e) => !errors.includes(e)));
  if (errors.length) return { ok: false, errors };
  return { ok: true, configs: built.map((b) => (b as { config: JsonObject }).config) };
}
