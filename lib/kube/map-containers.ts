import type { Container, Pod } from './types.ts';

/** The pod with `fn` applied to every init container and container, absent lists left absent. */
export function mapContainers(pod: Pod, fn: (c: Container) => Container): Pod {
  const spec = { ...pod.spec };
  if (spec.initContainers) spec.initContainers = spec.initContainers.map(fn);
  if (spec.containers) spec.containers = spec.containers.map(fn);
  return { ...pod, spec };
}

/** A container by name, wherever it runs: among the containers first, then the init containers. */
export function findContainer(pod: Pod, name: string): Container | undefined {
  return (
    pod.spec?.containers?.find((c) => c.name === name) ??
    pod.spec?.initContainers?.find((c) => c.name === name)
  );
}
