import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { WebhookConfigOptions } from './build.ts';

/** `outrigger webhook-config` flags, with Istio's defaults (Fail, Never) and the API server's 10 s timeout. */
export function webhookConfigOptionsFromArgs(args: string[]): WebhookConfigOptions {
  const { values: f } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      revision: { type: 'string', default: '' },
      'failure-policy': { type: 'string', default: 'Fail' },
      timeout: { type: 'string', default: '10' },
      reinvocation: { type: 'string', default: 'Never' },
      'namespace-mode': { type: 'string', default: 'label' },
      'ca-bundle': { type: 'string' },
      name: { type: 'string' },
    },
  });
  if (!f.url) throw new Error('--url https://HOST/inject/cluster/<id>/net/<network> is required');
  if (!/^\d+$/.test(f.timeout))
    throw new Error(`--timeout must be a whole number of seconds, not "${f.timeout}"`);
  const caFile = f['ca-bundle'];
  return {
    url: f.url,
    revision: f.revision,
    failurePolicy: f['failure-policy'],
    timeoutSeconds: Number(f.timeout),
    reinvocationPolicy: f.reinvocation,
    namespaceMode: f['namespace-mode'],
    caBundlePem: caFile === undefined ? undefined : readFileSync(caFile, 'utf8'),
    name: f.name,
  };
}
