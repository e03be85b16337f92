import { fileURLToPath } from 'node:url';
import { InjectionError } from '../errors.ts';

/** Where one bundle layer lives, as named by OUTRIGGER_CONFIG or `--config`. */
export type SourceRef =
  | { scheme: 'file'; uri: string; path: string }
  | { scheme: 'secretsmanager'; uri: string; secretId: string; versionStage?: string; versionId?: string }
  | { scheme: 's3'; uri: string; bucket: string; key: string }
  /** `generation`: one immutable generation of the object (`gs://bucket/object#1700000000000000`). */
  | { scheme: 'gs'; uri: string; bucket: string; object: string; generation?: string };

/** A comma-separated list of sources, layered in order (empty entries are ignored). */
export function parseSourceList(value: string): SourceRef[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseSourceUri);
}

/**
 * `file:///path` or a plain path, `secretsmanager://<name-or-arn>[?versionStage=S|?versionId=ID]`,
 * `s3://bucket/key`, `gs://bucket/object[#generation]`. Parsed by hand, not with `new URL`: a secret ARN has colons where a URL has a
 * port, and object keys may hold characters a URL would re-encode.
 */
export function parseSourceUri(uri: string): SourceRef {
  // Two letters at least: `C:\bundle` is a Windows path, not a scheme.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return { scheme: 'file', uri, path: uri };
  if (scheme === 'file') return { scheme: 'file', uri, path: filePath(uri) };
  const rest = uri.startsWith(`${scheme}://`) ? uri.slice(scheme.length + 3) : undefined;
  if (rest === undefined) throw sourceUriError(uri, `want ${scheme}://...`);
  switch (scheme) {
    case 'secretsmanager':
      return secretsManagerRef(uri, rest);
    case 's3': {
      const [bucket, key] = bucketAndName(uri, rest, 'key');
      return { scheme: 's3', uri, bucket, key };
    }
    case 'gs': {
      // gsutil's spelling of one generation; an object whose own name ends in `#<digits>` cannot be named.
      const pinned = /^(.*)#(\d+)$/.exec(rest);
      const [bucket, object] = bucketAndName(uri, pinned?.[1] ?? rest, 'object');
      return pinned?.[2]
        ? { scheme: 'gs', uri, bucket, object, generation: pinned[2] }
        : { scheme: 'gs', uri, bucket, object };
    }
    default:
      throw sourceUriError(uri, `unsupported scheme "${scheme}:"; use file, secretsmanager, s3 or gs`);
  }
}

function filePath(uri: string): string {
  try {
    return fileURLToPath(uri);
  } catch (err) {
    throw sourceUriError(uri, `not a file URL (want file:///absolute/path): ${(err as Error).message}`);
  }
}

function secretsManagerRef(uri: string, rest: string): SourceRef {
  const q = rest.indexOf('?');
  const secretId = q < 0 ? rest : rest.slice(0, q);
  if (!secretId) throw sourceUriError(uri, 'want secretsmanager://<secret name or ARN>');
  if (q < 0) return { scheme: 'secretsmanager', uri, secretId };
  const params = new URLSearchParams(rest.slice(q + 1));
  const keys = [...params.keys()];
  for (const key of keys) {
    if (key !== 'versionStage' && key !== 'versionId')
      throw sourceUriError(uri, `unknown parameter "${key}"; the parameters are versionStage and versionId`);
  }
  if (keys.length !== 1)
    throw sourceUriError(uri, 'give one parameter: versionStage (a label) or versionId (one version)');
  const [key] = keys as ['versionStage' | 'versionId'];
  const value = params.get(key);
  if (!value) throw sourceUriError(uri, `${key} is empty`);
  return { scheme: 'secretsmanager', uri, secretId, [key]: value };
}

/** The URI of a ref, as parseSourceUri reads it back (for refs built in code: published versions). */
export function formatSourceUri(ref: DistributiveOmit<SourceRef, 'uri'>): string {
  switch (ref.scheme) {
    case 'file':
      return ref.path;
    case 'secretsmanager': {
      const param = ref.versionId
        ? `?versionId=${encodeURIComponent(ref.versionId)}`
        : ref.versionStage
          ? `?versionStage=${encodeURIComponent(ref.versionStage)}`
          : '';
      return `secretsmanager://${ref.secretId}${param}`;
    }
    case 's3':
      return `s3://${ref.bucket}/${ref.key}`;
    case 'gs':
      return `gs://${ref.bucket}/${ref.object}${ref.generation ? `#${ref.generation}` : ''}`;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function bucketAndName(uri: string, rest: string, what: string): [string, string] {
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const name = slash < 0 ? '' : rest.slice(slash + 1);
  if (!bucket || !name) throw sourceUriError(uri, `want ${uri.slice(0, uri.indexOf(':'))}://bucket/${what}`);
  return [bucket, name];
}

function sourceUriError(uri: string, problem: string): InjectionError {
  return new InjectionError('config', `config source ${uri}: ${problem}`);
}
