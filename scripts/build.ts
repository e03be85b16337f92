// Bundles the three entry points with esbuild: minified, the default profile embedded, every dependency
// inlined except functions-framework, which must stay the same module instance its CLI loads.
import { build } from 'esbuild';

const banner = {
  // Bundled CommonJS dependencies call require() for Node built-ins; ESM has no require of its own.
  js: "import { createRequire as __outriggerRequire } from 'node:module'; const require = __outriggerRequire(import.meta.url);",
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  banner,
  logLevel: 'warning',
} as const;

await Promise.all([
  build({
    ...common,
    entryPoints: ['functions/gcp.ts'],
    outfile: 'dist/gcp.js',
    external: ['@google-cloud/functions-framework'],
  }),
  build({ ...common, entryPoints: ['functions/aws.ts'], outfile: 'dist/aws.js' }),
  build({
    ...common,
    entryPoints: ['functions/cli.ts'],
    outfile: 'dist/cli.js',
    banner: { js: `#!/usr/bin/env node\n${banner.js}` },
  }),
]);
