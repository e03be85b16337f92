import yaml from 'js-yaml';
import type { InjectorConfig } from '../config/compile.ts';
import { errorMessage, InjectionError, yamlProblem } from '../errors.ts';
import { isObject, type JsonObject } from '../json.ts';
import type { TemplateData } from './data.ts';
import { renderCaptured } from './output-capture.ts';

/**
 * Renders one template and reads its YAML: a partial Pod (`metadata`, `spec`) to merge into the pod.
 * The YAML of a shape seen before is not parsed again (skeleton.ts); the first time, or whenever the
 * shortcut cannot vouch for the result, the escaped text is parsed. Render and YAML errors name the
 * template, since they are the config author's to fix.
 */
export function renderTemplate(config: InjectorConfig, name: string, data: TemplateData): JsonObject {
  const tpl = config.templates.get(name);
  if (!tpl) throw new InjectionError('unknown-template', `template "${name}" is not in the config`);
  const render = () => {
    try {
      return config.engine.renderSync(tpl, data);
    } catch (err) {
      throw new InjectionError(
        'template',
        `failed to run injection template "${name}": ${errorMessage(err)}`,
      );
    }
  };
  const captured = renderCaptured(render);
  const filled = config.skeletons.fill(captured.text, captured.values);
  if (filled !== undefined) return filled ?? {};

  let doc: unknown;
  try {
    doc = yaml.load(render(), { filename: `template ${name}` });
  } catch (err) {
    throw new InjectionError(
      'template',
      `injection template "${name}" produced invalid YAML: ${yamlProblem(err)}`,
    );
  }
  if (doc === null || doc === undefined) return {};
  if (!isObject(doc)) {
    throw new InjectionError('template', `injection template "${name}" must produce a map (a partial Pod)`);
  }
  return doc;
}
