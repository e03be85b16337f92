import { Liquid, type Template } from 'liquidjs';
import { errorMessage, InjectionError } from '../errors.ts';
import { registerFilters } from './filters.ts';
import { escapeOutput } from './output-capture.ts';

/**
 * One Liquid engine for all bundles. Outputs are escaped into YAML flow nodes (see yaml-scalar.ts);
 * unknown filters fail when a bundle loads, not when a pod arrives; truthiness follows JavaScript (and
 * Go templates): "", 0, false and nil are false.
 */
export function createEngine(): Liquid {
  const engine = new Liquid({
    outputEscape: escapeOutput,
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    jsTruthy: true,
    cache: false,
  });
  registerFilters(engine);
  return engine;
}

export type CompiledTemplate = Template[];

/** Parses every template of a bundle once; a syntax error names the template. */
export function compileTemplates(
  engine: Liquid,
  sources: Record<string, string>,
): Map<string, CompiledTemplate> {
  const out = new Map<string, CompiledTemplate>();
  for (const [name, source] of Object.entries(sources)) {
    try {
      out.set(name, engine.parse(source, name));
    } catch (err) {
      throw new InjectionError('config', `template "${name}" does not parse: ${errorMessage(err)}`);
    }
  }
  return out;
}
