import { readFileSync } from 'node:fs';

/**
 * The exit codes of `outrigger`: 0 done; 1 the command failed (a file, a config, a store), or found
 * what it looks for (`audit`: pods to fix; `import`: templates to port); 2 the command line itself is
 * wrong (an unknown command or flag, a missing or invalid value).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The command line is wrong: told in one line, with where to find the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `value` of `flag` must be one of `allowed`, else a usage error naming the flag. */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${flag} must be ${allowed.join(' or ')}, not "${value}"`);
  return value as T;
}

/** A file a flag names, read whole; a missing or unreadable one is named in the error. `-`: stdin. */
export function readFileArg(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EISDIR'
          ? 'is a directory'
          : e.code === 'EACCES'
            ? 'permission denied'
            : e.message;
    throw new Error(`${file === '-' ? 'standard input' : file}: ${why}`, { cause: err });
  }
}
