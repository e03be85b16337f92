import yaml from 'js-yaml';
import type { Template } from 'liquidjs';
import type { InjectorConfig } from '../config/compile.ts';
import { errorMessage, InjectionError, yamlProblem } from '../errors.ts';
import { isObject, type JsonObject } from '../json.ts';
import type { ReviewBudget } from '../inject/budget.ts';
import type { TemplateData } from './data.ts';
import { renderCounts } from './compiled.ts';
import { discardCaptured, renderCaptured } from './output-capture.ts';
import { refuseRepeatedKeys } from './repeated-keys.ts';

/**
 * Renders one template and reads its YAML: a partial Pod (`metadata`, `spec`) to merge into the pod.
 * The YAML of a shape seen before is not parsed again (skeleton.ts); the first time, or whenever the
 * shortcut cannot vouch for the result, the escaped text is parsed. Render and YAML errors name the
 * template, since they are the config author's to fix.
 */
export function renderTemplate(
  config: InjectorConfig,
  name: string,
  data: TemplateData,
  budget?: ReviewBudget,
): JsonObject {
  const templates = config.templates;
  if (!templates.has(name))
    throw new InjectionError('unknown-template', `template "${name}" is not in the config`);
  const compiled = templates.compiled(name);
  // The shape's key: its trace when the compiled template gives one (far shorter than the text it
  // names, so cheaper to hash), else the text itself.
  let shapeKey: string | undefined;
  const render = () => {
    const limits = budget && { renderLimit: budget.remainingMs() };
    if (compiled) {
      try {
        let text: string;
        if (compiled.traced) {
          const out = compiled.traced(data, limits?.renderLimit);
          text = out.text;
          shapeKey = `${compiled.id}\u0001${out.trace}`;
        } else {
          text = compiled(data, limits?.renderLimit);
        }
        renderCounts.compiled++;
        return text;
      } catch {
        // The interpreter is the reference: it gives the answer, or the error exactly as it words it.
        discardCaptured();
        renderCounts.retried++;
      }
    } else {
      renderCounts.interpreted++;
    }
    shapeKey = undefined;
    try {
      return config.engine.renderSync(templates.get(name) as Template[], data, limits);
    } catch (err) {
      // Decided by the budget, not by the error's text: a filter's error may quote the pod's values.
      if (budget?.isSpent()) throw budget.spent(`rendering template ${name}`);
      throw new InjectionError(
        'template',
        `failed to run injection template "${name}": ${errorMessage(err)}`,
      );
    }
  };
  const captured = renderCaptured(render);
  const filled = config.skeletons.fill(captured.text, captured.values, shapeKey);
  if (filled !== undefined) {
    if (filled) refuseRepeatedKeys(filled, name);
    return filled ?? {};
  }

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
  refuseRepeatedKeys(doc, name);
  return doc;
}
