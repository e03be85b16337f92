import { InjectionError } from '../errors.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';

/**
 * A template renders the injector's own volumes and mounts and, in the same lists, the pod's
 * `sidecar.istio.io/userVolume`/`userVolumeMount` entries. Two entries with one merge key (a volume's
 * name, a mount's mountPath) would merge into one, so a pod could replace the token or certificate
 * volume the proxy trusts. One render must therefore not repeat a key; the pod is refused, naming it.
 */
export function refuseRepeatedKeys(fragment: JsonObject, template: string): void {
  const spec = isObject(fragment.spec) ? fragment.spec : {};
  repeated(spec.volumes, 'name', `volume`, template);
  for (const list of [spec.containers, spec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isObject(c)) continue;
      const where = `in container ${JSON.stringify(String(c.name))}`;
      repeated(c.volumeMounts, 'mountPath', `volume mount path ${where}`, template);
    }
  }
}

function repeated(list: Json | undefined, key: string, what: string, template: string): void {
  if (!Array.isArray(list)) return;
  const seen = new Set<string>();
  for (const item of list) {
    if (!isObject(item) || typeof item[key] !== 'string') continue;
    const value = item[key] as string;
    if (seen.has(value)) {
      throw new InjectionError(
        'bad-annotation',
        `template "${template}" renders ${what} ${JSON.stringify(value)} twice: a sidecar.istio.io/userVolume ` +
          `or userVolumeMount entry may not reuse a name or path the injector uses`,
      );
    }
    seen.add(value);
  }
}
