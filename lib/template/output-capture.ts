import { yamlScalar } from './yaml-scalar.ts';

/**
 * The engine's output escape. Normally every `{{ output }}` becomes its YAML flow node (yaml-scalar.ts);
 * during `renderCaptured` it becomes a numbered placeholder and the value is kept, so the rendered text
 * is the template's structure alone (see skeleton.ts). Rendering is synchronous, so one module-level
 * collector cannot be shared by two renders.
 */
let collector: unknown[] | undefined;

export function escapeOutput(value: unknown): string {
  if (!collector) return yamlScalar(value);
  collector.push(value);
  return `"\\u0000${collector.length - 1}"`;
}

export function renderCaptured(render: () => string): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  collector = values;
  try {
    return { text: render(), values };
  } finally {
    collector = undefined;
  }
}

/** Drops what a render that failed half-way captured, so a second render starts clean. */
export function discardCaptured(): void {
  if (collector) collector.length = 0;
}

/** The placeholder for output `n` as YAML reads it back. */
// eslint-disable-next-line no-control-regex -- NUL marks a placeholder because no template text contains it
export const PLACEHOLDER = /^\u0000(\d+)$/;
