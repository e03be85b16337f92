/**
 * How every `{{ output }}` of a template reaches the YAML text: as one self-contained YAML flow node.
 * Strings become double-quoted scalars (JSON string syntax is valid YAML), maps and lists flow
 * collections, so no value — an annotation with a newline, a colon, `]` or `{{` in it — can add keys or
 * items to the rendered sidecar. Template authors build strings with filters (`append`, `join`), not by
 * placing outputs side by side inside quotes.
 */
export function yamlScalar(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  // JSON.stringify leaves U+2028/2029 raw; escape every non-ASCII character so no YAML parser can read
  // a line break into the value.
  const json = JSON.stringify(value) ?? 'null';
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
