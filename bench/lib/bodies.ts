// Review bodies the benchmarks send over HTTP: distinct workloads without end (a load run never repeats
// one, however fast the server), and the worst cases near the API server's 3 MiB request limit. Built on
// harness/support/pod-variants.ts's hello pod.
import { helloReview } from '../../harness/support/pod-variants.ts';

/**
 * Review k of an endless series of distinct workloads: helloReview's pod with its own app, container,
 * owner name and request uid. Made by joining the pieces of one template (about a microsecond), so the
 * load generator spends next to nothing on it, the same for every server it loads.
 */
export function distinctWorkloads(from = 0): (k: number) => string {
  const sentinel = 987_654_321;
  const decimal = String(sentinel);
  const hex = sentinel.toString(16).padStart(12, '0');
  const parts = JSON.stringify(helloReview(sentinel)).split(new RegExp(`(${decimal}|${hex})`));
  return (k) => {
    const n = from + k;
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      out += i % 2 === 0 ? p : p === decimal ? String(n) : n.toString(16).padStart(12, '0');
    }
    return out;
  };
}

type Container = Record<string, unknown>;

function withContainers(i: number, containers: Container[]) {
  const r = helloReview(i);
  (r.request.object as { spec: { containers: Container[] } }).spec.containers = containers;
  return r;
}

/** A pod of `n` small containers (80,000 make a 2.3 MiB review), as workload `i`. */
export function manyContainersReview(i: number, n = 80_000) {
  return withContainers(
    i,
    Array.from({ length: n }, (_, k) => ({ name: `c${k}`, image: 'x' })),
  );
}

/** A pod of `n` containers with `env` env vars each (2000 × 36 make a 2.9 MiB review), as workload `i`. */
export function manyEnvReview(i: number, n = 2000, env = 36) {
  return withContainers(
    i,
    Array.from({ length: n }, (_, k) => ({
      name: `app-${k}`,
      image: `registry.example/team/app-${k % 50}:1.${k % 7}`,
      env: Array.from({ length: env }, (_, e) => ({ name: `SETTING_${e}`, value: `v${k}-${e}` })),
    })),
  );
}
