import { errorMessage } from '../errors.ts';
import { COMMANDS } from './commands.ts';
import { EXIT, UsageError } from './usage.ts';

const USAGE = `usage: outrigger <command> [flags]   (outrigger <command> --help for its flags)

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(15)}${c.summary}`)
  .join('\n')}

exit codes: 0 done; 1 failed, or found what it looks for (audit, import); 2 a wrong command line
`;

/** The `outrigger` command: runs `argv` (the arguments after the command name) → the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const command = name === 'help' && args[0] ? COMMANDS[args[0]] : undefined;
    process.stdout.write(command ? `${command.help}\n` : USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') return COMMANDS.version?.run([]) ?? EXIT.ok;
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) return usageError(`unknown command "${name}"`, 'outrigger --help');
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(args);
  } catch (err) {
    // node:util parseArgs: an unknown flag, a flag without its value, a stray argument.
    const code = (err as { code?: string }).code ?? '';
    if (err instanceof UsageError || code.startsWith('ERR_PARSE_ARGS_'))
      return usageError(errorMessage(err), `outrigger ${name} --help`);
    throw err;
  }
}

function usageError(message: string, help: string): number {
  process.stderr.write(`error: ${message}\nrun '${help}' for usage\n`);
  return EXIT.usage;
}
