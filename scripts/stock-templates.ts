// Writes infra/istio/<profile>/stock-templates.yaml: the hash of each stock Go template of the Istio
// release the profile reproduces (test/conformance/istio-versions/<release>/defaults/templates/, copied
// from Istio), so `outrigger import` recognises a running Istio's templates by content. Run it after
// updating a release's copied templates; test/cli/import.test.ts checks the two agree.
import { readFileSync, writeFileSync } from 'node:fs';
import { chartTemplateFiles, templateHash } from '../lib/profile/stock.ts';

const RELEASES: [string, string][] = [
  ['1.28', 'istio-1.28'],
  ['1.29', 'istio-1.29'],
  ['1.30', 'istio-1.30'],
  ['master', 'istio-master'],
];

for (const [dir, profile] of RELEASES) {
  const base = new URL(`../test/conformance/istio-versions/${dir}/`, import.meta.url);
  const readme = readFileSync(new URL('README.md', base), 'utf8');
  const upstream = /Upstream: github\.com\/istio\/istio @ `([0-9a-f]{40})` \(([^,)]+)/.exec(readme);
  const files = chartTemplateFiles(
    readFileSync(new URL('defaults/templates/istiod-injector-configmap.helm.yaml', base), 'utf8'),
  );
  const lines = [
    `# The stock templates of Istio ${upstream?.[2] ?? dir} (github.com/istio/istio @ ${upstream?.[1] ?? '?'}), by`,
    "# name as the istio-sidecar-injector ConfigMap holds them: sha256 of each chart file's text, trimmed",
    '# (lib/profile/stock.ts). Written by `npx tsx scripts/stock-templates.ts`; `outrigger import` reads it.',
    `release: ${JSON.stringify(upstream?.[2] ?? dir)}`,
    'templates:',
    ...Object.entries(files).map(
      ([name, file]) =>
        `  ${name}: ${templateHash(readFileSync(new URL(`defaults/templates/${file}`, base), 'utf8'))}`,
    ),
  ];
  writeFileSync(
    new URL(`../infra/istio/${profile}/stock-templates.yaml`, import.meta.url),
    `${lines.join('\n')}\n`,
  );
}
