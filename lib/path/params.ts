/**
 * Istio's `parseInjectEnvs`: the webhook URL path carries per-cluster proxy environment, e.g.
 * `/inject/cluster/c1/net/n1` → {ISTIO_META_CLUSTER_ID: c1, ISTIO_META_NETWORK: n1}. The path arrives
 * already percent-decoded. Keys other than `cluster` and `net` become upper-cased env var names.
 */
export function parseInjectEnvs(path: string): Record<string, string> {
  const envs: Record<string, string> = {};
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = splitN(trimmed, '/', 3);
  const rest = parts[2];
  if (rest === undefined) return envs;

  if (rest.startsWith(':ENV:')) {
    for (const pair of rest.split(':ENV:')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      envs[envName(pair.slice(0, eq))] = pair.slice(eq + 1);
    }
    return envs;
  }

  const segments = rest.split('/');
  for (let i = 0; i + 1 < segments.length; i += 2) {
    const key = segments[i] as string;
    const value = (segments[i + 1] as string).replaceAll('--slash--', '/');
    envs[envName(key)] = value;
  }
  return envs;
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
