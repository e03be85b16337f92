import yaml from 'js-yaml';
import { InjectionError, yamlProblem } from '../errors.ts';
import { isObject } from '../json.ts';
import { isRollout, validateRollout } from '../rollout/document.ts';
import { type PartialBundle, validateBundle } from './bundle.ts';
import type { ConfigLayer } from './layer.ts';

/**
 * Parses one document (YAML or JSON, which is YAML too) from any store or file: a rollout document if
 * it says `kind: Rollout`, else a bundle layer.
 */
export function parseConfigDocument(text: string, source: string): ConfigLayer {
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: source });
  } catch (err) {
    throw new InjectionError(
      'config',
      `invalid config bundle ${source}: not YAML or JSON: ${yamlProblem(err)}`,
    );
  }
  if (isObject(raw) && raw.kind === 'Rollout') return validateRollout(raw, source);
  return validateBundle(raw, source);
}

/** Parses one document that must be a bundle (a bundle file, a version a rollout names). */
export function parseBundleDocument(text: string, source: string): PartialBundle {
  return bundleLayer(parseConfigDocument(text, source), source);
}

/** A layer that must be a bundle (a version a rollout names, a `--config` layer). */
export function bundleLayer(layer: ConfigLayer, source: string): PartialBundle {
  if (isRollout(layer)) {
    throw new InjectionError(
      'config',
      `config source ${source} is a rollout document (kind: Rollout), not a bundle; it must be the only entry of OUTRIGGER_CONFIG`,
    );
  }
  return layer;
}
