/**
 * Istio's `parseInjectEnvs`: the webhook URL path carries per-cluster proxy environment, e.g.
 * `/inject/cluster/c1/net/n1` → {ISTIO_META_CLUSTER_ID: c1, ISTIO_META_NETWORK: n1}. The path arrives
 * already percent-decoded. Keys other than `cluster` and `net` become upper-cased env var names.
 */
export function parseInjectEnvs(path: string): Record<string, string> {
  return parseInjectPath(path).envs;
}

/** The path key that names the revision (`/inject/cluster/c1/rev/1-29`); never proxy env. */
export const REVISION_KEY = 'rev';

/**
 * The webhook path: proxy env as Istio's `parseInjectEnvs` reads it, and the revision the request is
 * for when the path names one (`.../rev/<name>`, or `:ENV:rev=<name>`). The `rev` pair is Outrigger's:
 * it selects the bundle's `revisions.<name>` and does not become a `REV` env var, as it would in Istio.
 */
export function parseInjectPath(path: string): { envs: Record<string, string>; revision?: string } {
  const envs: Record<string, string> = {};
  let revision: string | undefined;
  const add = (key: string, value: string) => {
    if (key === REVISION_KEY) revision = value;
    else envs[envName(key)] = value;
  };
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = splitN(trimmed, '/', 3);
  const rest = parts[2];
  if (rest === undefined) return { envs };

  if (rest.startsWith(':ENV:')) {
    for (const pair of rest.split(':ENV:')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      add(pair.slice(0, eq), pair.slice(eq + 1));
    }
  } else {
    const segments = rest.split('/');
    for (let i = 0; i + 1 < segments.length; i += 2) {
      add(segments[i] as string, (segments[i + 1] as string).replaceAll('--slash--', '/'));
    }
  }
  return revision === undefined ? { envs } : { envs, revision };
}

function envName(key: string): string {
  if (key === 'cluster') return 'ISTIO_META_CLUSTER_ID';
  if (key === 'net') return 'ISTIO_META_NETWORK';
  return key.toUpperCase();
}

/** Go's strings.SplitN: at most n parts, the last holding the remainder. */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}
