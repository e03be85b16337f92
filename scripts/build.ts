// Bundles the three entry points with esbuild: minified, the default profile embedded, every dependency
// inlined except functions-framework, which must stay the same module instance its CLI loads.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type BuildOptions, build, type Plugin } from 'esbuild';

// Stale chunks from an earlier build would ride along in the deploy packages.
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

const banner = {
  // Bundled CommonJS dependencies call require() for Node built-ins; ESM has no require of its own.
  js: "import { createRequire as __outriggerRequire } from 'node:module'; const require = __outriggerRequire(import.meta.url);",
};

/**
 * A static import of `node:http` becomes require() (the banner's). Importing a built-in makes Node build
 * its ES module face, which reads every export and so runs the lazy getters require() leaves alone: on
 * Node 24, `import 'node:http'` takes 30-40 ms, 32 of them `http.WebSocket` loading undici's WebSocket;
 * require('node:http') takes 4. The bundle reads the exports it names when it uses them, through
 * esbuild's CommonJS interop. Dynamic imports stay as they are: they are off the start path, and with
 * code splitting the required module's chunk would export only `default`, so `const { request } = await
 * import('node:http')` (the AWS SDK's instance-metadata region lookup) would get undefined. The other
 * built-ins the bundles import cost the same either way (measured: the Lambda package's import was no
 * faster with all of them required).
 */
const httpByRequire: Plugin = {
  name: 'http-by-require',
  setup(b) {
    b.onResolve({ filter: /^(node:)?http$/ }, (args) =>
      args.kind === 'import-statement' ? { path: 'node:http', namespace: 'http-by-require' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'http-by-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  banner,
  logLevel: 'warning',
  // liquidjs's `main` is CommonJS; bundled, every read of one of its exports (the renderer's
  // `instanceof Drop` on each property read) goes through an interop getter. Its ES module build binds
  // them directly.
  alias: { liquidjs: 'liquidjs/dist/liquid.node.mjs' },
  plugins: [httpByRequire],
};

// One build, so the entry points share chunks: each cloud SDK is its own chunk, loaded only when a
// config URI names its store (each store in lib/config/sources/ imports its SDK on first use).
await build({
  ...common,
  entryPoints: {
    gcp: 'functions/gcp.ts',
    server: 'functions/server.ts',
    aws: 'functions/aws.ts',
    cli: 'functions/cli.ts',
  },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@google-cloud/functions-framework'],
});
// The CLI runs as a command: it needs the interpreter line in front of the shared banner.
const cli = new URL('../dist/cli.js', import.meta.url);
writeFileSync(cli, `#!/usr/bin/env node\n${readFileSync(cli, 'utf8')}`);
chmodSync(cli, 0o755);
// dist/ runs alone (Cloud Run, the Lambda zip, a copied CLI): its own package.json makes the bundles ES
// modules without the repository's package.json beside them.
writeFileSync(
  new URL('../dist/package.json', import.meta.url),
  `${JSON.stringify({ name: 'outrigger-dist', private: true, type: 'module', bin: { outrigger: 'cli.js' } }, null, 2)}\n`,
);
