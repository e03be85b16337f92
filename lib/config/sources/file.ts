import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBundlePath } from '../read-directory.ts';
import type { BundleStore, SourceSnapshot } from '../source.ts';
import type { SourceRef } from '../source-uri.ts';

type FileRef = Extract<SourceRef, { scheme: 'file' }>;

/**
 * Local bundle files and directories (a mounted ConfigMap, or files shipped with the function). The
 * version is a hash of the content, not the mtime: a ConfigMap update swaps symlinks and can keep
 * times. `readNow` is synchronous so a local config can load while the module initialises.
 */
export const fileStore: BundleStore<FileRef> & { readNow(ref: FileRef): SourceSnapshot } = {
  readNow(ref) {
    return { version: contentHash(ref.path), parse: () => readBundlePath(ref.path) };
  },

  async read(ref, known) {
    const snapshot = fileStore.readNow(ref);
    return snapshot.version === known ? 'unchanged' : snapshot;
  },

  async write(ref, text) {
    // Written aside and renamed, so a reader never sees half a bundle.
    const tmp = `${ref.path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, ref.path);
    return contentHash(ref.path);
  },
};

function contentHash(path: string): string {
  const hash = createHash('sha256');
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path, { recursive: true, encoding: 'utf8' }).sort()) {
      const file = join(path, name);
      if (statSync(file).isFile()) hash.update(`${name}\0`).update(readFileSync(file)).update('\0');
    }
  } else {
    hash.update(readFileSync(path));
  }
  return hash.digest('hex').slice(0, 16);
}
