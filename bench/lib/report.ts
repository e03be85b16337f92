// The benchmark's table: one row per figure, its baseline from the same run, the ratio, and for a
// target (always a ratio) whether it was met.

export interface Target {
  op: '≤' | '≥';
  ratio: number;
}

export interface Figure {
  section: string;
  label: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number; unit?: string };
  ratio?: number;
  /** No target: information only. */
  target?: Target;
  /** Extra text after the value (e.g. RSS before → after). */
  note?: string;
}

export function met(f: Figure): boolean | undefined {
  if (!f.target || f.ratio === undefined) return undefined;
  return f.target.op === '≤' ? f.ratio <= f.target.ratio : f.ratio >= f.target.ratio;
}

export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  return Number(v.toFixed(digits));
}

function fmt(v: number, unit: string): string {
  return `${round(v).toLocaleString('en-US')}${unit ? ` ${unit}` : ''}`;
}

function cells(f: Figure): string[] {
  const ok = met(f);
  return [
    f.label,
    `${fmt(f.value, f.unit)}${f.note ? ` (${f.note})` : ''}`,
    f.baseline ? `${f.baseline.label}: ${fmt(f.baseline.value, f.baseline.unit ?? f.unit)}` : '',
    f.ratio !== undefined ? `${round(f.ratio)}×` : '',
    f.target ? `${f.target.op} ${f.target.ratio}×` : 'info',
    ok === undefined ? '' : ok ? 'met' : 'MISSED',
  ];
}

/** A Markdown table, a section heading row before each section's first figure. */
export function table(figures: Figure[]): string {
  const head = ['figure', 'value', 'baseline (same run)', 'ratio', 'target', 'result'];
  const rows: string[][] = [];
  let section = '';
  for (const f of figures) {
    if (f.section !== section) {
      section = f.section;
      rows.push([`**${section}**`, '', '', '', '', '']);
    }
    rows.push(cells(f));
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The last line: `bench: N targets, M met` (and what could not be measured). */
export function summary(figures: Figure[], unmeasured: number): string {
  const targets = figures.filter((f) => f.target);
  const ok = targets.filter((f) => met(f)).length;
  const failed = unmeasured ? `, ${unmeasured} not measured (measurement failed)` : '';
  return `bench: ${targets.length + unmeasured} targets, ${ok} met${failed}`;
}

/** The figures as JSON, numbers rounded as in the table. */
export function asJson(figures: Figure[]) {
  return figures.map((f) => ({
    ...f,
    value: round(f.value),
    ...(f.ratio !== undefined && { ratio: round(f.ratio) }),
    ...(f.baseline && { baseline: { ...f.baseline, value: round(f.baseline.value) } }),
    ...(f.target && { met: met(f) }),
  }));
}
