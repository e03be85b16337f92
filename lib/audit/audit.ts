import { type ClusterLookup, configForRevision } from '../config/cluster-configs.ts';
import type { InjectorConfig } from '../config/compile.ts';
import { errorMessage } from '../errors.ts';
import { PROXY_CONTAINER } from '../finish/reorder.ts';
import { injectPod } from '../inject/inject-pod.ts';
import { isObject, type JsonObject } from '../json.ts';
import type { Container, Pod } from '../kube/types.ts';
import { workloadOf } from '../kube/workload.ts';
import { decide } from '../policy/decide.ts';
import { matchingWebhook } from '../webhook-config/match.ts';

/** Pods of one workload with the same problem. */
export interface AuditFinding {
  namespace: string;
  /** `Kind/name`, the pods' owner as templates name it (a Deployment for a ReplicaSet's pods). */
  workload: string;
  problem: 'no sidecar' | 'outdated sidecar';
  pods: string[];
  reason: string;
}

/**
 * What `kubectl get namespaces,pods -A -o json` says against the current config: pods the webhooks
 * would send and the config would inject that have no sidecar (the webhook was down with Ignore, the
 * namespace was labelled after they started), and pods whose sidecar image is not the one the config
 * injects now (after an upgrade or a rollout). Each pod is judged as the webhook the API server would
 * call for it is answered: that webhook's cluster (`clusters.<id>` overlay) and revision. Pods that have
 * ended or are being deleted are left out, and so are pods no webhook selects.
 */
export function auditCluster(
  dump: unknown,
  configs: ClusterLookup,
  webhookConfigs: JsonObject[],
): AuditFinding[] {
  if (!isObject(dump) || dump.kind !== 'List' || !Array.isArray(dump.items))
    throw new Error('the input is not a List: give it `kubectl get namespaces,pods -A -o json`');
  const items = dump.items.filter(isObject);
  const namespaceLabels = new Map<string, Record<string, string>>();
  for (const item of items) {
    const meta = isObject(item.metadata) ? item.metadata : {};
    if (item.kind === 'Namespace' && typeof meta.name === 'string')
      namespaceLabels.set(meta.name, (isObject(meta.labels) ? meta.labels : {}) as Record<string, string>);
  }
  const findings = new Map<string, AuditFinding>();
  for (const item of items) {
    if (item.kind !== 'Pod') continue;
    const pod = item as unknown as Pod;
    const meta = pod.metadata ?? {};
    const phase = isObject(item.status) ? item.status.phase : undefined;
    if (phase === 'Succeeded' || phase === 'Failed' || meta.deletionTimestamp) continue;
    const namespace = meta.namespace ?? '';
    const webhook = matchingWebhook(webhookConfigs, pod, {
      namespace,
      namespaceLabels: namespaceLabels.get(namespace) ?? {},
    });
    if (!webhook.name) continue;
    const found = problemOf(
      pod,
      namespace,
      () => {
        const config = configs(webhook.cluster ?? '');
        return webhook.revision ? configForRevision(config, webhook.revision) : config;
      },
      webhook.revision ?? '',
    );
    if (!found) continue;
    const w = workloadOf(pod);
    const workload = `${w.kind}/${w.name}`;
    const key = `${namespace}\0${workload}\0${found.problem}\0${found.reason}`;
    const finding = findings.get(key) ?? { namespace, workload, ...found, pods: [] };
    finding.pods.push(meta.name ?? '');
    findings.set(key, finding);
  }
  return [...findings.values()].sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.workload.localeCompare(b.workload),
  );
}

function problemOf(
  pod: Pod,
  namespace: string,
  served: () => InjectorConfig,
  revision: string,
): Pick<AuditFinding, 'problem' | 'reason'> | undefined {
  let config: InjectorConfig;
  try {
    config = served();
  } catch (err) {
    // One pod's revision or cluster the config cannot serve is a finding, not the end of the audit.
    return { problem: proxyOf(pod) ? 'outdated sidecar' : 'no sidecar', reason: errorMessage(err) };
  }
  const running = proxyOf(pod);
  if (!running) {
    const decision = decide(config.bundle, pod.spec ?? {}, { ...pod.metadata, namespace });
    return decision.inject ? { problem: 'no sidecar', reason: decision.reason } : undefined;
  }
  // The sidecar the config injects now, rendered over the pod as it is (an injected pod is injected
  // again, as the webhook would on a new pod of the same template).
  let current: Container | undefined;
  try {
    current = proxyOf(injectPod(pod, config, { namespace, proxyEnvs: {}, revision }).pod);
  } catch (err) {
    return {
      problem: 'outdated sidecar',
      reason: `the current config cannot inject it: ${errorMessage(err)}`,
    };
  }
  if (!current || current.image === running.image) return undefined;
  return {
    problem: 'outdated sidecar',
    reason: `istio-proxy runs ${String(running.image)}; the current config injects ${String(current.image)}`,
  };
}

function proxyOf(pod: Pod): Container | undefined {
  const spec = pod.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].find((c) => c.name === PROXY_CONTAINER);
}
