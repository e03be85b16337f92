import type { JsonObject } from '../json.ts';
import { istioSelectorWebhooks, SYSTEM_NAMESPACES } from './selectors.ts';
import { webhookUrlProblems } from './url.ts';

export interface WebhookConfigOptions {
  url: string;
  /** `istio.io/rev` this function serves; "" (or "default") for the default revision. */
  revision: string;
  failurePolicy: string;
  timeoutSeconds: number;
  reinvocationPolicy: string;
  namespaceMode: string;
  /** PEM of the CA that signed the URL's certificate; none when it chains to a public CA. */
  caBundlePem?: string;
  name?: string;
}

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
  const revision = options.revision === 'default' ? '' : options.revision;
  const errors = [
    ...webhookUrlProblems(options.url).map((p) => `--url ${JSON.stringify(options.url)}: ${p}`),
    ...problems(options, revision),
  ];
  if (errors.length) return { ok: false, errors };

  const clientConfig: JsonObject = { url: options.url };
  if (options.caBundlePem) clientConfig.caBundle = Buffer.from(options.caBundlePem).toString('base64');
  const webhooks = istioSelectorWebhooks(revision, options.namespaceMode as 'label' | 'all').map((w) => ({
    name: `${w.prefix}sidecar-injector.istio.io`,
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
          (revision ? `outrigger-sidecar-injector-${revision}` : 'outrigger-sidecar-injector'),
        labels: { app: 'sidecar-injector', 'istio.io/rev': revision || 'default' },
      },
      webhooks,
    },
  };
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
  if (revision && o.namespaceMode === 'all') {
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
