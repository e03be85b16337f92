import yaml from 'js-yaml';
import { InjectionError, yamlProblem } from '../errors.ts';
import { type PartialBundle, validateBundle } from './bundle.ts';

/** Parses one bundle document (YAML or JSON, which is YAML too) from any store. */
export function parseBundleDocument(text: string, source: string): PartialBundle {
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: source });
  } catch (err) {
    throw new InjectionError(
      'config',
      `invalid config bundle ${source}: not YAML or JSON: ${yamlProblem(err)}`,
    );
  }
  return validateBundle(raw, source);
}
