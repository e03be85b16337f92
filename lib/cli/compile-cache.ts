import { existsSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Turns on Node's compile cache (22.8+) for what is imported after it: each run of the command starts
 * Node anew and compiles the bundle again, and with the cache a run after the first takes V8's code from
 * disk. The cache lives with the user's own caches (`$XDG_CACHE_HOME` or `~/.cache`, then
 * `outrigger/compile-cache`), not in Node's default, the shared temporary folder, where another user
 * could create the folder first and then write the code a run loads. With NODE_COMPILE_CACHE=DIR Node
 * itself caches in DIR; NODE_DISABLE_COMPILE_CACHE=1 turns it off; a folder that cannot be made leaves
 * it off, as does a user without a home directory.
 */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const enable = (module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (!enable || env.NODE_COMPILE_CACHE) return;
  let base = env.XDG_CACHE_HOME;
  if (!base || !isAbsolute(base)) {
    let home: string;
    try {
      home = homedir();
    } catch {
      return;
    }
    // Node makes every missing folder of the path: a home that does not exist is not made.
    if (!existsSync(home)) return;
    base = join(home, '.cache');
  }
  enable(join(base, 'outrigger', 'compile-cache'));
}
