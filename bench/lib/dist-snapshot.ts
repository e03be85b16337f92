// What the benchmarks run: a private copy of dist/ taken once per run, so a rebuild of dist/ by anything
// else on the machine (tests, another checkout's build) cannot change or remove the bundles mid-run.
// The copy lives under .scratch/ in the repository, where functions-framework (external to dist/gcp.js)
// still resolves from node_modules; the Lambda package is copied from it into an isolated folder.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { bundleSize } from './bundles.ts';

export const ENTRIES = ['server.js', 'gcp.js', 'aws.js', 'cli.js'];

export interface DistSnapshot {
  dir: string;
  remove(): void;
}

/**
 * Builds dist/ when it is older than the sources (unless `build` is false), then copies it; a copy
 * that misses an entry point or a chunk one of them imports (a build was replacing dist/ meanwhile) is
 * taken again, up to five times.
 */
export async function snapshotDist(build: boolean): Promise<DistSnapshot> {
  mkdirSync(join(ROOT, '.scratch'), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    if (build) await ensureBuilt();
    const dir = mkdtempSync(join(ROOT, '.scratch', 'bench-dist-'));
    try {
      cpSync(join(ROOT, 'dist'), dir, { recursive: true });
      if (!existsSync(join(dir, 'package.json'))) throw new Error('no dist/package.json');
      // Throws when a file an entry imports, statically or dynamically, is missing.
      for (const entry of ENTRIES) bundleSize(join(dir, entry));
      return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      if (attempt >= 5)
        throw new Error(`no complete copy of dist/ after ${attempt} attempts: ${err}`, { cause: err });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
