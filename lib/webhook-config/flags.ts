import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { WebhookConfigsOptions } from './build.ts';

/**
 * `outrigger webhook-config` flags, with Istio's defaults (Fail, Never) and the API server's 10 s timeout.
 * `--revision R` and `--tag NAME=R` repeat; with neither, the default revision.
 */
export function webhookConfigOptionsFromArgs(args: string[]): WebhookConfigsOptions {
  const { values: f } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      revision: { type: 'string', multiple: true, default: [] as string[] },
      tag: { type: 'string', multiple: true, default: [] as string[] },
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
  const tags = f.tag.map((t) => {
    const eq = t.indexOf('=');
    if (eq <= 0 || eq === t.length - 1)
      throw new Error(`--tag ${t}: want NAME=REVISION (istioctl tag set NAME --revision REVISION)`);
    return { tag: t.slice(0, eq), revision: t.slice(eq + 1) };
  });
  return {
    url: f.url,
    revisions: f.revision.length || tags.length ? f.revision : [''],
    tags,
    failurePolicy: f['failure-policy'],
    timeoutSeconds: Number(f.timeout),
    reinvocationPolicy: f.reinvocation,
    namespaceMode: f['namespace-mode'],
    caBundlePem: caFile === undefined ? undefined : readFileSync(caFile, 'utf8'),
    name: f.name,
  };
}
