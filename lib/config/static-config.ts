import { layerBundles } from './bundle.ts';
import { compileBundle, type InjectorConfig } from './compile.ts';
import { DEFAULT_BUNDLE } from './default.ts';
import { readBundlePath } from './read-directory.ts';

/**
 * The config from local files: each path (a bundle file or directory) layered in order over the
 * embedded default. With no paths, the default profile alone.
 */
export function loadLocalConfig(paths: string[]): InjectorConfig {
  const layers = paths.map(readBundlePath);
  const source = paths.length ? paths.join(',') : 'embedded default';
  return compileBundle(layerBundles(DEFAULT_BUNDLE, ...layers), source);
}
