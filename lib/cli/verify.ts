import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { checkPodLimits } from '../admission/pod-limits.ts';
import type { InjectorConfig } from '../config/compile.ts';
import { errorMessage, yamlProblem } from '../errors.ts';
import { injectPod } from '../inject/inject-pod.ts';
import { isObject } from '../json.ts';
import { podSlotsOf } from '../kube/pod-templates.ts';
import type { Pod } from '../kube/types.ts';
import { splitDocuments } from './kube-inject.ts';
import { podChanges } from './verify-diff.ts';
import { podProblems } from './verify-pod.ts';

/** One manifest file of a corpus. */
export interface CorpusFile {
  name: string;
  text: string;
}

/** What the new bundle does to one workload of the corpus, next to the current bundle. */
export interface WorkloadVerdict {
  /** `Kind namespace/name (file)`. */
  workload: string;
  cluster: string;
  /** Why the new bundle cannot serve it: a render error, or the problems of the pod it makes. */
  failure?: string;
  /** The current bundle's own failure on it (not counted against the new one). */
  currentFailure?: string;
  changes: string[];
}

export interface Verification {
  verdicts: WorkloadVerdict[];
  failed: number;
  /** The report, one block per workload, for a person. */
  text: string;
}

/**
 * `publish --verify-with PATH`: a folder (every .yaml, .yml and .json in it, recursively, in name
 * order, each named by its path inside the folder) or one multi-document YAML file of manifests.
 */
export function readCorpus(path: string): CorpusFile[] {
  if (!statSync(path).isDirectory()) return [{ name: path, text: readFileSync(path, 'utf8') }];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ya?ml|json)$/i.test(name) && statSync(join(path, name)).isFile())
    .sort()
    .map((name) => ({
      name,
      text: readFileSync(join(path, name), 'utf8'),
    }));
}

/**
 * Renders every workload of the corpus with the current and the new bundle, as `kube-inject` does
 * (policy `enabled`: only the pod's own opt-out prevents injection), for each cluster id given ("" is
 * the bundle without a cluster overlay). A workload fails when the new bundle cannot render it or the
 * pod it makes is not a valid Pod (verify-pod.ts); the report lists, per workload, what changes in the
 * injected pod.
 */
export function verifyCorpus(
  corpus: CorpusFile[],
  current: (cluster: string) => InjectorConfig,
  next: (cluster: string) => InjectorConfig,
  clusters: string[] = [''],
): Verification {
  const verdicts: WorkloadVerdict[] = [];
  for (const file of corpus) {
    let chunks: string[];
    try {
      chunks = splitDocuments(file.text);
    } catch (err) {
      verdicts.push({ workload: file.name, cluster: '', failure: errorMessage(err), changes: [] });
      continue;
    }
    for (const [index, chunk] of chunks.entries()) {
      let doc: unknown;
      try {
        doc = yaml.load(chunk);
      } catch (err) {
        verdicts.push({
          workload: `${file.name} document ${index + 1}`,
          cluster: '',
          failure: `not YAML: ${yamlProblem(err)}`,
          changes: [],
        });
        continue;
      }
      if (!isObject(doc)) continue;
      // Each bundle renders its own copy: podSlotsOf hands out the manifest's own objects.
      for (const [i, slot] of podSlotsOf(doc).entries()) {
        const w = slot.workload;
        const label = `${w.kind} ${w.namespace || 'default'}/${w.name || `(unnamed ${i + 1})`} (${file.name})`;
        for (const cluster of clusters) {
          const before = render(slot.pod, w, current, cluster);
          const after = render(slot.pod, w, next, cluster);
          const verdict: WorkloadVerdict = { workload: label, cluster, changes: [] };
          if ('error' in after) verdict.failure = after.error;
          if ('error' in before) verdict.currentFailure = before.error;
          if (!('error' in before) && !('error' in after)) {
            if (before.injected !== after.injected)
              verdict.changes.push(after.injected ? 'now injected' : `no longer injected (${after.reason})`);
            verdict.changes.push(...podChanges(before.pod, after.pod));
          }
          verdicts.push(verdict);
        }
      }
    }
  }
  const failed = verdicts.filter((v) => v.failure !== undefined).length;
  return { verdicts, failed, text: reportText(verdicts, failed) };
}

type Rendered = { pod: Pod; injected: boolean; reason: string } | { error: string };

function render(
  pod: Pod,
  workload: ReturnType<typeof podSlotsOf>[number]['workload'],
  configFor: (cluster: string) => InjectorConfig,
  cluster: string,
): Rendered {
  try {
    checkPodLimits(pod);
    const result = injectPod(structuredClone(pod), configFor(cluster), {
      namespace: workload.namespace,
      proxyEnvs: cluster ? { ISTIO_META_CLUSTER_ID: cluster } : {},
      revision: '',
      workload,
      policy: 'enabled',
    });
    const problems = podProblems(result.pod);
    if (problems.length) return { error: `the injected pod is not a valid Pod: ${problems.join('; ')}` };
    return { pod: result.pod, injected: result.decision.inject, reason: result.decision.reason };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

function reportText(verdicts: WorkloadVerdict[], failed: number): string {
  const lines: string[] = [];
  for (const v of verdicts) {
    const who = v.cluster ? `${v.workload} [cluster ${v.cluster}]` : v.workload;
    if (v.failure !== undefined) {
      lines.push(`${who}: FAILS with the new bundle: ${v.failure}`);
      if (v.currentFailure !== undefined) lines.push(`  (the current bundle fails too: ${v.currentFailure})`);
      continue;
    }
    if (v.currentFailure !== undefined) {
      lines.push(`${who}: renders with the new bundle (the current one fails: ${v.currentFailure})`);
      continue;
    }
    if (v.changes.length === 0) {
      lines.push(`${who}: unchanged`);
      continue;
    }
    lines.push(`${who}: ${v.changes.length} change${v.changes.length === 1 ? '' : 's'}`);
    for (const c of v.changes) lines.push(`  ${c}`);
  }
  const total = verdicts.length;
  lines.push(
    failed
      ? `verify: ${failed} of ${total} workload renders fail with the new bundle`
      : `verify: all ${total} workload renders pass with the new bundle`,
  );
  return `${lines.join('\n')}\n`;
}
