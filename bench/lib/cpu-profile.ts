// Reads a V8 .cpuprofile (node --cpu-prof): self time per function and inclusive time per function, as
// percentages of all sampled time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  function: string;
  file: string;
  line: number;
  selfPct: number;
  totalPct: number;
}

export interface ProfileSummary {
  sampledMs: number;
  top: HotSpot[];
  byFile: { file: string; selfPct: number }[];
  text: string;
}

/** Self and inclusive time per function (name + file + line), the `top` by self time, and per file. */
export function summariseProfile(profile: CpuProfile, root: string, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const keyOf = (n: ProfileNode) => {
    const file = shortFile(n.callFrame.url, root);
    const fn = n.callFrame.functionName || '(anonymous)';
    return `${fn}\u0000${file}\u0000${sourceLine(root, file, fn, n.callFrame.lineNumber + 1)}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  let all = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id);
    if (!node || dt <= 0) continue;
    if (node.callFrame.functionName === '(idle)') continue;
    all += dt;
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + dt);
    const file = shortFile(node.callFrame.url, root) || node.callFrame.functionName;
    fileSelf.set(file, (fileSelf.get(file) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n) break;
      const k = keyOf(n);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  }
  const pct = (v: number) => Math.round((1000 * v) / Math.max(all, 1)) / 10;
  const hot: HotSpot[] = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, v]) => {
      const [fn = '', file = '', line = '0'] = key.split('\u0000');
      return { function: fn, file, line: Number(line), selfPct: pct(v), totalPct: pct(total.get(key) ?? 0) };
    });
  const byFile = [...fileSelf.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([file, v]) => ({ file, selfPct: pct(v) }));

  const lines = [
    `sampled ${(all / 1000).toFixed(0)} ms (idle excluded)`,
    '',
    'self %  total %  function  (file:line)',
  ];
  for (const h of hot) {
    lines.push(
      `${h.selfPct.toFixed(1).padStart(6)}  ${h.totalPct.toFixed(1).padStart(7)}  ${h.function}  (${h.file}:${h.line})`,
    );
  }
  lines.push('', 'self % by file');
  for (const f of byFile) lines.push(`${f.selfPct.toFixed(1).padStart(6)}  ${f.file}`);
  return { sampledMs: all / 1000, top: hot, byFile, text: lines.join('\n') };
}

function shortFile(url: string, root: string): string {
  if (!url) return '';
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (path.startsWith(root)) path = path.slice(root.length);
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) path = path.slice(nm);
  return path.replace(/\?.*$/, '');
}

const sources = new Map<string, string[] | undefined>();

/**
 * tsx hands V8 each module as one line (with an inline source map), so for the project's own .ts files
 * the line is looked up as the line declaring the function.
 */
function sourceLine(root: string, file: string, fn: string, line: number): number {
  if (!file.endsWith('.ts') || file.startsWith('node_modules/') || line > 1) return line;
  if (!sources.has(file)) {
    try {
      sources.set(file, readFileSync(join(root, file), 'utf8').split('\n'));
    } catch {
      sources.set(file, undefined);
    }
  }
  const lines = sources.get(file);
  if (!lines || fn === '(anonymous)') return line;
  const decl = new RegExp(
    `(function\\*?\\s+${fn}\\b|\\b(const|let)\\s+${fn}\\s*=|^\\s*(async\\s+)?${fn}\\s*\\()`,
  );
  const i = lines.findIndex((l) => decl.test(l));
  return i >= 0 ? i + 1 : line;
}
