import { enableCompileCache } from '../lib/cli/compile-cache.ts';
import { errorMessage } from '../lib/errors.ts';

// Before the command is loaded: the cache covers only what is imported after it is on.
enableCompileCache();
const { runCli } = await import('../lib/cli/main.ts');

try {
  process.exitCode = await runCli(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`error: ${errorMessage(err)}\n`);
  process.exitCode = 1;
}
