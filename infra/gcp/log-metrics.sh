#!/usr/bin/env bash
# Log-based metrics from the function's one JSON line per request (README "Observability"):
#   outrigger_requests  counter, labels cluster, decision (injected, skipped, failed, rejected) and
#                       configVersion (the bundle version a rollout document gave; empty without one)
#   outrigger_duration  distribution of durationMs, same labels
#   PROJECT=my-project NAME=outrigger infra/gcp/log-metrics.sh
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
