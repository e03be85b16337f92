/**
 * Takes the caller's secret out of an `/inject/...` path. Istio's path grammar (lib/path/params.ts) turns
 * every key/value pair into proxy environment, so a `key/<secret>` pair left in the path would end up in
 * the pod spec. Every spelling the grammar would turn into `KEY` is removed: `key/<v>` in any letter case
 * and `:ENV:key=<v>`. The last one is the secret, as the last value wins in the grammar.
 */
export function takePathKey(path: string): { path: string; key: string | undefined; mixed?: boolean } {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const second = trimmed.indexOf('/', 1);
  if (second < 0) return { path, key: undefined };
  const head = trimmed.slice(0, second);
  const rest = trimmed.slice(second + 1);
  let key: string | undefined;

  if (rest.startsWith(':ENV:')) {
    // In this form a `/key/<secret>` tail would be read as part of a value (a cluster id, a network) and
    // reach the pod or the logs: the two forms cannot be mixed.
    if (/(^|\/)key\//i.test(rest)) return { path: head, key: undefined, mixed: true };
    const kept = rest.split(':ENV:').filter((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0 || !isKeyName(entry.slice(0, eq))) return true;
      key = entry.slice(eq + 1);
      return false;
    });
    return { path: kept.some(Boolean) ? `${head}/${kept.join(':ENV:')}` : head, key };
  }

  const segments = rest.split('/');
  const kept: string[] = [];
  for (let i = 0; i < segments.length; i += 2) {
    const name = segments[i] as string;
    const value = segments[i + 1];
    if (isKeyName(name)) {
      if (value !== undefined) key = value;
      continue;
    }
    kept.push(name);
    if (value !== undefined) kept.push(value);
  }
  return { path: kept.length ? `${head}/${kept.join('/')}` : head, key };
}

function isKeyName(name: string): boolean {
  return name.toUpperCase() === 'KEY';
}
