import { InjectionError } from '../errors.ts';
import type { InjectionStatus } from '../finish/status.ts';
import { isObject, type JsonObject } from '../json.ts';
import { findContainer, mapContainers } from '../kube/map-containers.ts';
import type { Container, Pod } from '../kube/types.ts';
import { strategicMerge } from './strategic.ts';

export const OVERRIDES_ANNOTATION = 'proxy.istio.io/overrides';
/** `image: auto` on a user's istio-proxy means "keep the injected image". */
const AUTO_IMAGE = 'auto';

interface ContainerLists {
  containers?: Container[];
  initContainers?: Container[];
}

/**
 * Istio's user overrides: a pod may declare its own `istio-proxy` (or `istio-init`, or any container a
 * template renders); its fields win over the template's. After the templates merged, each such user
 * container is merged over the injected one again, and on first injection the overrides are recorded
 * in `proxy.istio.io/overrides` so a later re-injection (which strips the injected containers) can
 * re-apply them.
 */
export function reapplyOverrides(
  merged: Pod,
  original: Pod,
  rendered: ContainerLists,
  previous: InjectionStatus | undefined,
): Pod {
  const recorded = parseOverrides(original.metadata?.annotations?.[OVERRIDES_ANNOTATION]);
  const applied: Required<ContainerLists> = { containers: [], initContainers: [] };
  let pod = merged;
  for (const list of ['containers', 'initContainers'] as const) {
    for (const c of rendered[list] ?? []) {
      // A container the previous injection added is the old template's output, not the user's: only
      // an override recorded at that time is re-applied to it.
      const match =
        findIn(recorded[list], c.name) ??
        (previous?.[list].includes(c.name) ? undefined : findContainer(original, c.name));
      if (!match) continue;
      const { image, ...rest } = match;
      const overlay = (image === AUTO_IMAGE ? rest : match) as Container;
      applied[list].push(overlay);
      pod = strategicMerge(pod, { spec: { [list]: [overlay] } }) as Pod;
    }
  }
  if (!previous && (applied.containers.length || applied.initContainers.length)) {
    const record: JsonObject = {};
    if (applied.containers.length) record.containers = applied.containers;
    if (applied.initContainers.length) record.initContainers = applied.initContainers;
    pod = {
      ...pod,
      metadata: {
        ...pod.metadata,
        annotations: { ...pod.metadata?.annotations, [OVERRIDES_ANNOTATION]: JSON.stringify(record) },
      },
    };
  }
  return pod;
}

/**
 * With native sidecars istio-proxy is an init container, but a pod (or an earlier classic injection)
 * may have it among the containers: it moves to the init containers before the template merges into it.
 */
export function moveProxyToInit(pod: Pod, name: string): Pod {
  const c = pod.spec?.containers?.find((x) => x.name === name);
  if (!c) return pod;
  return {
    ...pod,
    spec: {
      ...pod.spec,
      containers: pod.spec?.containers?.filter((x) => x !== c),
      initContainers: [...(pod.spec?.initContainers ?? []), c],
    },
  };
}

/**
 * A template written for classic sidecars (Istio's documented customisation style, or the gateway and
 * gRPC templates) patches `containers[istio-proxy]`; once another template made istio-proxy a native
 * sidecar, that patch belongs to the init container. Merged over it, in template order, so a pod has one
 * istio-proxy whatever the combination of templates.
 */
export function foldProxyIntoInit(pod: Pod, name: string): Pod {
  const init = pod.spec?.initContainers?.find((x) => x.name === name);
  const classic = pod.spec?.containers?.filter((x) => x.name === name) ?? [];
  if (!init || classic.length === 0) return pod;
  // Merged as list items, so the container's own lists (env, volumeMounts) merge by their keys.
  const folded = classic.reduce(
    (into, c) =>
      (strategicMerge({ spec: { initContainers: [into] } }, { spec: { initContainers: [c] } }) as Pod).spec
        ?.initContainers?.[0] as Container,
    init,
  );
  return {
    ...pod,
    spec: {
      ...pod.spec,
      containers: pod.spec?.containers?.filter((x) => x.name !== name),
      initContainers: pod.spec?.initContainers?.map((x) => (x === init ? folded : x)),
    },
  };
}

/** Re-injection strips what the previous injection added; overrides recorded then come back here. */
export function reinsertRecordedOverrides(pod: Pod): Pod {
  const recorded = parseOverrides(pod.metadata?.annotations?.[OVERRIDES_ANNOTATION]);
  const spec = { ...pod.spec };
  for (const list of ['containers', 'initContainers'] as const) {
    const present = new Set(spec[list]?.map((c) => c.name));
    const missing = (recorded[list] ?? []).filter((c) => !present.has(c.name));
    if (missing.length) spec[list] = [...(spec[list] ?? []), ...missing];
  }
  return { ...pod, spec };
}

function parseOverrides(value: string | undefined): ContainerLists {
  if (value === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new InjectionError('bad-annotation', `invalid annotation ${OVERRIDES_ANNOTATION}: not JSON`);
  }
  if (!isObject(raw))
    throw new InjectionError('bad-annotation', `invalid annotation ${OVERRIDES_ANNOTATION}: not a map`);
  const list = (v: unknown) =>
    Array.isArray(v) ? (v.filter((c) => isObject(c) && typeof c.name === 'string') as Container[]) : [];
  return { containers: list(raw.containers), initContainers: list(raw.initContainers) };
}

function findIn(list: Container[] | undefined, name: string): Container | undefined {
  return list?.find((c) => c.name === name);
}

/**
 * When the user's istio-proxy runs as another uid/gid, traffic capture must exclude that uid instead of
 * 1337: the iptables `-u` argument follows it (in every interception mode), and so does
 * istio-validation (CNI), which runs as the proxy does. In TPROXY mode the proxy itself needs root,
 * whatever the override says.
 */
export function adjustInitContainerUser(pod: Pod, original: Pod, interceptionMode: string): Pod {
  const user = findContainer(original, 'istio-proxy');
  const security = isObject(user?.securityContext) ? user.securityContext : {};
  const uid = typeof security.runAsUser === 'number' ? security.runAsUser : undefined;
  const gid = typeof security.runAsGroup === 'number' ? security.runAsGroup : undefined;
  if (uid === undefined && gid === undefined) return pod;
  const tproxy = interceptionMode === 'TPROXY';
  const adjust = (c: Container): Container => {
    if (tproxy && c.name === 'istio-proxy') {
      return { ...c, securityContext: { ...(c.securityContext as JsonObject), runAsUser: 0 } };
    }
    if (c.name !== 'istio-init' && c.name !== 'istio-validation') return c;
    const out: Container = { ...c };
    if (Array.isArray(c.args) && uid !== undefined && uid !== 0) {
      out.args = c.args.map((a, i, all) => (i > 0 && all[i - 1] === '-u' ? String(uid) : a));
    }
    if (c.name === 'istio-validation' && !tproxy) {
      const sc: JsonObject = { ...(c.securityContext as JsonObject) };
      if (uid !== undefined) sc.runAsUser = uid;
      if (gid !== undefined) sc.runAsGroup = gid;
      out.securityContext = sc;
    }
    return out;
  };
  return mapContainers(pod, adjust);
}
