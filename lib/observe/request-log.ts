import type { RequestRecord } from '../http/handle.ts';

/**
 * Where metrics come from: CloudWatch Embedded Metric Format on AWS (the `_aws` block turns the line into
 * metrics without an API call), log-based metrics on Google Cloud (they count lines by `severity`,
 * labels and fields, so the line needs only structure).
 */
export type MetricsFormat = 'emf' | 'gcp';

type Decision = 'injected' | 'skipped' | 'failed' | 'rejected';

const SEVERITY: Record<Decision, string> = {
  injected: 'INFO',
  skipped: 'INFO',
  failed: 'ERROR',
  rejected: 'WARNING',
};

const EMF_METRICS = JSON.stringify([
  { Name: 'requests', Unit: 'Count' },
  { Name: 'injected', Unit: 'Count' },
  { Name: 'skipped', Unit: 'Count' },
  { Name: 'failed', Unit: 'Count' },
  { Name: 'duration', Unit: 'Milliseconds' },
]);

/**
 * The one log line of a request, as JSON ending in a newline: what was decided for which pod and why,
 * plus the platform's metrics in the same line. Built with one JSON.stringify, no pretty printing.
 */
export function requestLogLine(record: RequestRecord, format: MetricsFormat, now = Date.now()): string {
  const review = record.review;
  // A refusal of the HTTP request (401, 413, ...) never reached the review; 404s are not webhook calls.
  const decision: Decision = review?.result ?? 'rejected';
  const durationMs = Math.round(record.durationMs * 100) / 100;
  const reason = review?.reason ?? record.reason ?? '';
  const { configVersion, bundleVersion } = versionsOf(review?.configVersion ?? '');
  const line: Record<string, unknown> = {
    severity: SEVERITY[decision],
    message: `${decision} ${review?.namespace || '-'}/${review?.workload || '-'}: ${reason}`,
    uid: review?.uid ?? '',
    cluster: record.cluster,
    namespace: review?.namespace ?? '',
    workload: review?.workload ?? '',
    decision,
    reason,
    templates: review?.templates ?? [],
    durationMs,
    configVersion,
    status: record.status,
  };
  if (bundleVersion) line.compiledVersion = review?.configVersion;
  if (review?.errorCode) line.errorCode = review.errorCode;
  // Each distinct metric label value is a billed time series; a refused caller could mint them by the
  // thousand by varying the path. Only requests that got through to a review are counted per cluster.
  const metricCluster = review ? record.cluster : '';
  // Under a rollout the bundle version is a label too, so a failure rate reads per version and per
  // cluster; it comes from the rollout document, not the caller, so it mints no series of its own.
  const metricVersion = review && bundleVersion ? bundleVersion : '';
  if (format === 'gcp') {
    line['logging.googleapis.com/labels'] = {
      cluster: metricCluster,
      decision,
      ...(metricVersion && { configVersion: metricVersion }),
    };
    return `${JSON.stringify(line)}\n`;
  }
  const failed = decision === 'failed' || (decision === 'rejected' && record.status !== 404);
  // The EMF block is the same text but for the time and the dimension set, and as long as the rest of
  // the line: written out, not serialised per request.
  const emf =
    `"_aws":{"Timestamp":${JSON.stringify(now)},"CloudWatchMetrics":[{"Namespace":"Outrigger",` +
    `"Dimensions":${dimensions(metricCluster, metricVersion)},"Metrics":${EMF_METRICS}}]},` +
    `"requests":1,"injected":${decision === 'injected' ? 1 : 0},"skipped":${decision === 'skipped' ? 1 : 0},` +
    `"failed":${failed ? 1 : 0},"duration":${JSON.stringify(durationMs)}`;
  return `${JSON.stringify(line).slice(0, -1)},${emf}}\n`;
}

/** The dimension sets: the dimensionless one for fleet-wide totals, then by cluster and by version. */
const DIMENSIONS = [
  [[]],
  [[], ['configVersion']],
  [[], ['cluster']],
  [[], ['cluster'], ['configVersion'], ['cluster', 'configVersion']],
].map((sets) => JSON.stringify(sets));

function dimensions(cluster: string, version: string): string {
  // CloudWatch refuses empty dimension values: per cluster only when the path names one.
  return DIMENSIONS[(cluster ? 2 : 0) + (version ? 1 : 0)] as string;
}

/**
 * A config served by a rollout carries `<bundle version id>@<hash of the compiled config>`
 * (lib/rollout/load-version.ts): the log names the bundle version, which is what a rollout moves.
 * Without a rollout the version is the compiled config's hash alone.
 */
function versionsOf(version: string): { configVersion: string; bundleVersion?: string } {
  const at = version.indexOf('@');
  if (at < 0) return { configVersion: version };
  const bundleVersion = version.slice(0, at);
  return { configVersion: bundleVersion, bundleVersion };
}

/** A one-off line at start-up (a setting worth a warning), in the same structured form. */
export function startupLogLine(severity: 'WARNING', message: string): string {
  return `${JSON.stringify({ severity, message })}\n`;
}
