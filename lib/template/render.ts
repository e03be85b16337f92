import yaml from 'js-yaml';
import type { InjectorConfig } from '../config/compile.ts';
import { errorMessage, InjectionError } from '../errors.ts';
import { isObject, type JsonObject } from '../json.ts';
import type { TemplateData } from './data.ts';

/**
 * Renders one template and reads its YAML: a partial Pod (`metadata`, `spec`) to merge into the pod.
 * Render and YAML errors name the template, since they are the config author's to fix.
 */
export function renderTemplate(config: InjectorConfig, name: string, data: TemplateData): JsonObject {
  const tpl = config.templates.get(name);
  if (!tpl) throw new InjectionError('unknown-template', `template "${name}" is not in the config`);
  let text: string;
  try {
    text = config.engine.renderSync(tpl, data);
  } catch (err) {
    throw new InjectionError('template', `failed to run injection template "${name}": ${errorMessage(err)}`);
  }
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: `template ${name}` });
  } catch (err) {
    throw new InjectionError(
      'template',
      `injection template "${name}" produced invalid YAML: ${errorMessage(err)}`,
    );
  }
  if (doc === null || doc === undefined) return {};
  if (!isObject(doc))
    throw new InjectionError('template', `injection template "${name}" must produce a map (a partial Pod)`);
  return doc;
}
