// Bundle sizes of dist/: each entry point with the chunks it imports statically (what a cold start
// loads) and with everything it can import at all (static and dynamic imports: what must ship with it).
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface BundleSize {
  /** The entry file and its static imports, transitively, in bytes. */
  atStart: number;
  /** atStart plus every chunk reachable through dynamic import(), in bytes. */
  reachable: number;
  files: number;
}

const STATIC = /(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["'](\.\.?\/[^"']+)["']/g;
const DYNAMIC = /\bimport\(\s*["'](\.\.?\/[^"']+)["']\s*\)/g;

export function bundleSize(entry: string): BundleSize {
  const size = (f: string) => statSync(f).size;
  const imports = (file: string, re: RegExp) =>
    [...readFileSync(file, 'utf8').matchAll(re)].map((m) => resolve(dirname(file), m[1] as string));
  const closure = (roots: string[], withDynamic: boolean) => {
    const seen = new Set<string>();
    const todo = [...roots];
    while (todo.length) {
      const f = todo.pop() as string;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...imports(f, STATIC));
      if (withDynamic) todo.push(...imports(f, DYNAMIC));
    }
    return seen;
  };
  const start = closure([resolve(entry)], false);
  const all = closure([resolve(entry)], true);
  const sum = (s: Set<string>) => [...s].reduce((n, f) => n + size(f), 0);
  return { atStart: sum(start), reachable: sum(all), files: all.size };
}

export function distBundles(root: string, entries: string[]): Record<string, BundleSize> {
  return Object.fromEntries(entries.map((e) => [e, bundleSize(join(root, 'dist', e))]));
}
