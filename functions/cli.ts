import module from 'node:module';
import { errorMessage } from '../lib/errors.ts';

// Each run of a command starts Node anew and compiles the bundle again; Node's compile cache (22.1+,
// in the system's temporary folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off) keeps V8's code between
// runs. It covers only modules loaded after it is on, so the command itself is imported below.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runCli } = await import('../lib/cli/main.ts');

try {
  process.exitCode = await runCli(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`error: ${errorMessage(err)}\n`);
  process.exitCode = 1;
}
