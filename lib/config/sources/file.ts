import { createHash } from 'node:crypto';
import {
  linkSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readBundleDirectory } from '../read-directory.ts';
import {
  type BundleStore,
  checkSourceSize,
  MAX_SOURCE_BYTES,
  type SourceSnapshot,
  textSnapshot,
  WriteConflict,
} from '../source.ts';
import type { SourceRef } from '../source-uri.ts';

type FileRef = Extract<SourceRef, { scheme: 'file' }>;

/**
 * Local bundle files and directories (a mounted ConfigMap, or files shipped with the function). The
 * version is a hash of the content, not the mtime: a ConfigMap update swaps symlinks and can keep
 * times. `readNow` is synchronous so a local config can load while the module initialises.
 */
export const fileStore: BundleStore<FileRef> & { readNow(ref: FileRef): SourceSnapshot } = {
  readNow(ref) {
    if (statSync(ref.path).isDirectory()) {
      return { version: directoryHash(ref.path), parse: () => readBundleDirectory(ref.path) };
    }
    checkSourceSize(ref.uri, statSync(ref.path).size);
    // Read once: the version and the parsed text are the same bytes.
    const text = readFileSync(ref.path, 'utf8');
    return textSnapshot(textHash(text), text, ref.path);
  },

  async read(ref, known) {
    const info = await stat(ref.path);
    if (info.isDirectory()) {
      const snapshot = fileStore.readNow(ref);
      return snapshot.version === known ? 'unchanged' : snapshot;
    }
    // Asynchronous, and never more than the limit read: a rollout may name a local version, read while
    // requests are served.
    checkSourceSize(ref.uri, info.size);
    const text = await readCapped(ref);
    const version = textHash(text);
    return version === known ? 'unchanged' : textSnapshot(version, text, ref.path);
  },

  async write(ref, text, ifVersion) {
    if (ifVersion !== undefined) {
      // Checked, then renamed: not atomic against another writer on the same machine, which a file
      // store has no way to be.
      const current = statSync(ref.path, { throwIfNoEntry: false }) ? fileStore.readNow(ref).version : null;
      if (current !== ifVersion) throw new WriteConflict(`${ref.path} changed since it was read`);
    }
    // Written aside and renamed, so a reader never sees half a bundle.
    const tmp = `${ref.path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, ref.path);
    return textHash(text);
  },

  async publish(ref, text) {
    if (statSync(ref.path, { throwIfNoEntry: false })) return { ref, created: false };
    // A hard link fails when the name exists, so a version already there is never replaced.
    const tmp = `${ref.path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    try {
      linkSync(tmp, ref.path);
      return { ref, created: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { ref, created: false };
      throw err;
    } finally {
      unlinkSync(tmp);
    }
  },
};

/** A file's text, read a block at a time and refused once past the limit (a size `stat` may not know). */
async function readCapped(ref: FileRef): Promise<string> {
  const handle = await open(ref.path, 'r');
  try {
    const blocks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(BLOCK_BYTES), 0, BLOCK_BYTES, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_SOURCE_BYTES) checkSourceSize(ref.uri, total);
      blocks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(blocks, total).toString('utf8');
  } finally {
    await handle.close();
  }
}

const BLOCK_BYTES = 64 * 1024;

function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function directoryHash(path: string): string {
  const hash = createHash('sha256');
  const files = readdirSync(path, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((name) => ({ name, info: statSync(join(path, name)) }))
    .filter((f) => f.info.isFile());
  checkSourceSize(
    path,
    files.reduce((sum, f) => sum + f.info.size, 0),
  );
  for (const { name } of files)
    hash
      .update(`${name}\0`)
      .update(readFileSync(join(path, name)))
      .update('\0');
  return hash.digest('hex').slice(0, 16);
}
