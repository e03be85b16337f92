#!/usr/bin/env bash
# Deploys Outrigger on Google Cloud with a runtime service account that can read the config and the
# caller-auth hashes and nothing else: by default as a Cloud Run service running dist/server.js on plain
# node:http, the entry point that is safe to expose; TARGET=function deploys dist/gcp.js as a 2nd-gen
# Cloud Function on functions-framework instead (the same settings).
#
#   PROJECT=my-project REGION=europe-west1 AUTH_KEYS_SECRET=outrigger-auth-keys \
#   CONFIG=gs://my-bucket/outrigger/bundle.yaml infra/gcp/deploy.sh
#
# PROJECT           required
# TARGET            run (default) or function
# REGION            default europe-west1
# NAME              function name, default outrigger
# AUTH_KEYS_SECRET  Secret Manager secret holding the cluster keys ({"<cluster>":"sha256:<hex>"}); required
#                   unless AUTH=off. Mounted as a file, which the service re-reads once per CONFIG_TTL:
#                   a new secret version adds a cluster or rotates a key without a deploy.
# AUTH              on (default) or off
# CONFIG            OUTRIGGER_CONFIG; gs://bucket/object for a bundle (or a rollout document) in Cloud
#                   Storage. Empty: the embedded default profile.
# VERSIONS_PREFIX   object-name prefix of the bundle versions a rollout document names; default
#                   <CONFIG's folder>/bundle.
# CONFIG_SECRET     instead of CONFIG: a Secret Manager secret holding the bundle, mounted as a file
# MIN_INSTANCES     default 0; 1 keeps one instance warm (no cold start on the first pod, billed idle)
# MAX_INSTANCES     default 20
# REVISION          OUTRIGGER_REVISION, the istio.io/rev served; default ""
set -euo pipefail

: "${PROJECT:?set PROJECT to the Google Cloud project id}"
REGION=${REGION:-europe-west1}
NAME=${NAME:-outrigger}
AUTH=${AUTH:-on}
TARGET=${TARGET:-run}
if [[ $TARGET != run && $TARGET != function ]]; then
  echo "TARGET must be run or function, not \"$TARGET\"" >&2
  exit 2
fi
SA_NAME="${NAME}-injector"
SA="${SA_NAME}@${PROJECT}.iam.gserviceaccount.com"
if [[ $AUTH != off && -z ${AUTH_KEYS_SECRET:-} ]]; then
  echo "set AUTH_KEYS_SECRET to the secret holding OUTRIGGER_AUTH_KEYS (or AUTH=off for a private endpoint)" >&2
  exit 2
fi

cd "$(dirname "$0")/../.."
npm run build

# The uploaded source (infra/gcp/package-source.sh): the entry point, its chunks and a package.json, which
# the Cloud Build buildpack installs and starts. Everything else is inside the bundle.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
infra/gcp/package-source.sh "$work/source" "$TARGET"

# Runtime identity: its own service account, granted read access to exactly what it needs.
if ! gcloud iam service-accounts describe "$SA" --project "$PROJECT" >/dev/null 2>&1; then
  gcloud iam service-accounts create "$SA_NAME" --project "$PROJECT" --display-name "Outrigger sidecar injector"
fi
member="serviceAccount:$SA"
secrets=()
if [[ -n ${AUTH_KEYS_SECRET:-} ]]; then
  gcloud secrets add-iam-policy-binding "$AUTH_KEYS_SECRET" --project "$PROJECT" \
    --member "$member" --role roles/secretmanager.secretAccessor
  # A volume, not an environment variable: Cloud Run fetches a mounted secret's latest version when the
  # file is read, but resolves an environment variable once, when the instance starts.
  secrets+=("/etc/outrigger-keys/auth-keys.json=${AUTH_KEYS_SECRET}:latest")
  AUTH_KEYS=/etc/outrigger-keys/auth-keys.json
fi
if [[ -n ${CONFIG_SECRET:-} ]]; then
  gcloud secrets add-iam-policy-binding "$CONFIG_SECRET" --project "$PROJECT" \
    --member "$member" --role roles/secretmanager.secretAccessor
  secrets+=("/etc/outrigger/bundle.yaml=${CONFIG_SECRET}:latest")
  CONFIG=/etc/outrigger/bundle.yaml
fi
if [[ ${CONFIG:-} == gs://* ]]; then
  bucket=${CONFIG#gs://}
  object=${bucket#*/}
  bucket=${bucket%%/*}
  # One object and the bundle versions beside it (what a rollout document there names: publish writes
  # <dir>/bundle.<id>.yaml), not the bucket: an IAM condition on the objects' resource names (conditions
  # need uniform bucket-level access). `^;^` makes `;` the separator, as object names may hold commas.
  dir=$([[ $object == */* ]] && echo "${object%/*}/" || echo "")
  versions=${VERSIONS_PREFIX:-${dir}bundle.}
  objects="projects/_/buckets/${bucket}/objects"
  gcloud storage buckets add-iam-policy-binding "gs://$bucket" \
    --member "$member" --role roles/storage.objectViewer \
    --condition "^;^expression=resource.name == '${objects}/${object}' || resource.name.startsWith('${objects}/${versions}');title=outrigger-config-read"
fi

# JSON values hold commas, which --set-env-vars would split; a YAML file does not.
cat >"$work/env.yaml" <<ENV
OUTRIGGER_CONFIG: '${CONFIG:-}'
OUTRIGGER_CONFIG_TTL: '${CONFIG_TTL:-60}'
OUTRIGGER_CONFIG_MAX_STALE: '${CONFIG_MAX_STALE:-86400}'
OUTRIGGER_ON_CONFIG_ERROR: '${ON_CONFIG_ERROR:-deny}'
OUTRIGGER_AUTH: '${AUTH}'
OUTRIGGER_AUTH_KEYS: '${AUTH_KEYS:-}'
OUTRIGGER_REVISION: '${REVISION:-}'
NODE_ENV: production
NODE_OPTIONS: '--max-semi-space-size=2'
MALLOC_MMAP_THRESHOLD_: '32768'
ENV

secret_flags=()
if ((${#secrets[@]})); then secret_flags=(--set-secrets "$(IFS=,; echo "${secrets[*]}")"); fi

# --allow-unauthenticated: API servers cannot present Google identity tokens; the service checks
# callers itself. One vCPU lets an instance take a burst of pod creations at once (concurrency needs
# a whole CPU), so a rollout costs one cold start, not one per pod.
common=(
  --project "$PROJECT" --region "$REGION" --source "$work/source" --allow-unauthenticated
  --service-account "$SA" --memory 256Mi --cpu 1 --concurrency 80
  --min-instances "${MIN_INSTANCES:-0}" --max-instances "${MAX_INSTANCES:-20}"
  --env-vars-file "$work/env.yaml"
)
if [[ $TARGET == run ]]; then
  # The buildpack runs the package's start script (node server.js) on the Node its engines name. A
  # request that has not arrived whole in 15 s is cut by server.js itself.
  gcloud run deploy "$NAME" "${common[@]}" --timeout 15s ${secret_flags[@]+"${secret_flags[@]}"}
  url=$(gcloud run services describe "$NAME" --project "$PROJECT" --region "$REGION" --format 'value(status.url)')
else
  gcloud functions deploy "$NAME" --gen2 --runtime nodejs24 --entry-point inject --trigger-http \
    "${common[@]}" --timeout 10s ${secret_flags[@]+"${secret_flags[@]}"}
  url=$(gcloud functions describe "$NAME" --gen2 --project "$PROJECT" --region "$REGION" --format 'value(serviceConfig.uri)')
fi
echo "deployed: $url"
echo "webhook:  node dist/cli.js webhook-config --url $url/inject/cluster/<id>/key/<secret>/net/<network>"
