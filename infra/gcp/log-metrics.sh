#!/usr/bin/env bash
# Log-based metrics from the function's one JSON line per request (docs/operations.md, "Observability"):
#   outrigger_requests  counter, labels cluster, decision (injected, skipped, failed, rejected) and
#                       configVersion (the bundle version a rollout document gave; empty without one)
#   outrigger_duration  distribution of durationMs, same labels
#   PROJECT=my-project NAME=outrigger [NOTIFICATION_CHANNEL=projects/P/notificationChannels/ID] \
#   infra/gcp/log-metrics.sh
# and the alert policies below.
set -euo pipefail
: "${PROJECT:?set PROJECT to the Google Cloud project id}"
NAME=${NAME:-outrigger}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 2nd-gen functions log as their Cloud Run service; a request line is the one with a decision.
filter="resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${NAME}\" AND jsonPayload.decision:*"

cat >"$work/requests.yaml" <<YAML
description: Outrigger webhook requests, by cluster and decision
filter: '${filter}'
metricDescriptor:
  metricKind: DELTA
  valueType: INT64
  unit: '1'
  labels:
    - key: cluster
    - key: decision
    - key: configVersion
labelExtractors:
  cluster: EXTRACT(labels.cluster)
  decision: EXTRACT(labels.decision)
  configVersion: EXTRACT(labels.configVersion)
YAML

cat >"$work/duration.yaml" <<YAML
description: Outrigger webhook handling time in milliseconds, by cluster and decision
filter: '${filter}'
metricDescriptor:
  metricKind: DELTA
  valueType: DISTRIBUTION
  unit: ms
  labels:
    - key: cluster
    - key: decision
valueExtractor: EXTRACT(jsonPayload.durationMs)
labelExtractors:
  cluster: EXTRACT(labels.cluster)
  decision: EXTRACT(labels.decision)
bucketOptions:
  explicitBuckets:
    bounds: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
YAML

for metric in requests duration; do
  if gcloud logging metrics describe "outrigger_${metric}" --project "$PROJECT" >/dev/null 2>&1; then
    gcloud logging metrics update "outrigger_${metric}" --project "$PROJECT" --config-from-file "$work/${metric}.yaml"
  else
    gcloud logging metrics create "outrigger_${metric}" --project "$PROJECT" --config-from-file "$work/${metric}.yaml"
  fi
done

# Alert policies, the AWS alarms' match (serverless.yml), notifying NOTIFICATION_CHANNEL (a channel's
# full name, projects/P/notificationChannels/ID) when set: failed and refused reviews (a 401 after a key
# rotation gone wrong) by cluster, server errors
# (the API server sees a failed call), overload (429: no instance free under MAX_INSTANCES) and a p99
# duration near the webhook's timeout. Replaced on every run: an existing policy of the same name goes.
channels=${NOTIFICATION_CHANNEL:+"\"${NOTIFICATION_CHANNEL}\""}
run_filter="resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${NAME}\""
policy() { # policy NAME FILTER ALIGNER REDUCER GROUP_BY THRESHOLD
  cat >"$work/policy-$1.json" <<JSON
{
  "displayName": "outrigger ${NAME}: $1",
  "combiner": "OR",
  "notificationChannels": [${channels}],
  "conditions": [{
    "displayName": "$1",
    "conditionThreshold": {
      "filter": "$(printf '%s' "$2" | sed 's/"/\\"/g')",
      "aggregations": [{"alignmentPeriod": "60s", "perSeriesAligner": "$3", "crossSeriesReducer": "$4", "groupByFields": [$5]}],
      "comparison": "COMPARISON_GT",
      "thresholdValue": $6,
      "duration": "180s",
      "trigger": {"count": 1}
    }
  }]
}
JSON
  for old in $(gcloud monitoring policies list --project "$PROJECT" --filter "displayName=\"outrigger ${NAME}: $1\"" --format 'value(name)'); do
    gcloud monitoring policies delete "$old" --project "$PROJECT" --quiet
  done
  gcloud monitoring policies create --project "$PROJECT" --policy-from-file "$work/policy-$1.json"
}
policy failed-reviews "metric.type=\"logging.googleapis.com/user/outrigger_requests\" AND metric.label.decision=one_of(\"failed\", \"rejected\") AND ${run_filter}" ALIGN_SUM REDUCE_SUM '"metric.label.cluster"' "${FAILED_REVIEWS_PER_MINUTE:-0}"
policy server-errors "metric.type=\"run.googleapis.com/request_count\" AND metric.label.response_code_class=\"5xx\" AND ${run_filter}" ALIGN_SUM REDUCE_SUM '' 0
policy overload "metric.type=\"run.googleapis.com/request_count\" AND metric.label.response_code=\"429\" AND ${run_filter}" ALIGN_SUM REDUCE_SUM '' 0
policy p99-duration "metric.type=\"logging.googleapis.com/user/outrigger_duration\" AND ${run_filter}" ALIGN_PERCENTILE_99 REDUCE_MAX '' "${P99_DURATION_MS:-8000}"
