import { createHash } from 'node:crypto';

/**
 * How a stock Istio template is recognised in a running Istio's `istio-sidecar-injector` ConfigMap: the
 * sha256 of its text with surrounding whitespace trimmed and line ends as `\n` (the chart embeds each
 * `files/<name>.yaml` with `trim | indent 8`, and a ConfigMap printed by kubectl may end lines either way).
 */
export function templateHash(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n?/g, '\n').trim()).digest('hex');
}

/**
 * The chart's injector ConfigMap template (`istiod-injector-configmap.yaml`) names each template and its
 * file: `<name>: |` followed by `{{ .Files.Get "files/<file>" ... }}`.
 */
export function chartTemplateFiles(configMapTemplate: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of configMapTemplate.matchAll(/^\s+([\w-]+): \|\n\{\{ \.Files\.Get "files\/([^"]+)"/gm)) {
    out[m[1] as string] = m[2] as string;
  }
  return out;
}
