#!/usr/bin/env bash
# Deploys Outrigger once in each region a fleet runs in, one region after the other, and writes each
# cluster's MutatingWebhookConfiguration pointing at its own region's URL. Each region reads its own
# config ({region} in CONFIG), so a rollout document per region moves a bundle change through one
# region's clusters in waves before the next region's see it; a region that fails to deploy stops the
# script before the regions after it.
#
#   CLOUD=aws FLEET=fleet.tsv AUTH_KEYS=secretsmanager://outrigger/auth-keys \
#     CONFIG='s3://acme-outrigger-{region}/rollout.yaml' CONFIG_BUCKET='acme-outrigger-{region}' \
#     CONFIG_KEY=rollout.yaml infra/deploy-regions.sh
#   CLOUD=gcp FLEET=fleet.tsv PROJECT=acme AUTH_KEYS_SECRET=outrigger-auth-keys \
#     CONFIG='gs://acme-outrigger-{region}/rollout.yaml' infra/deploy-regions.sh
#
# FLEET        required: one cluster a line, "<cluster id> <region> [<network>]"; # starts a comment
# CLOUD        aws (serverless.yml) or gcp (infra/gcp/deploy.sh)
# CONFIG       OUTRIGGER_CONFIG for each region, {region} replaced; empty: the embedded default
# SECRETS_DIR  a folder of <cluster>.secret files: each URL carries its cluster's secret (/key/...);
#              without it the URLs carry none, for API servers that send a bearer token
# OUT          where the webhook configurations go, <cluster>.yaml; default ./webhooks
# WEBHOOK_ARGS more flags for `outrigger webhook-config` (e.g. "--failure-policy Ignore")
# aws:         STAGE (default prod), AUTH_KEYS (the authKeys parameter; a Secrets Manager secret is
#              regional: replicate it to each region), CONFIG_BUCKET, CONFIG_KEY, VERSIONS_PREFIX,
#              ALARM_TOPIC_ARN ({region} replaced in each), passed as serverless.yml's parameters
# gcp:         PROJECT and the rest of infra/gcp/deploy.sh's settings, REGION set per region
set -euo pipefail

: "${FLEET:?set FLEET to a file of \"<cluster> <region> [<network>]\" lines}"
CLOUD=${CLOUD:-aws}
OUT=${OUT:-webhooks}
if [[ $CLOUD != aws && $CLOUD != gcp ]]; then
  echo "CLOUD must be aws or gcp, not \"$CLOUD\"" >&2
  exit 2
fi

clusters=()
regions=()
while read -r cluster region network _; do
  [[ -z ${cluster:-} || $cluster == \#* ]] && continue
  if [[ -z ${region:-} ]]; then
    echo "$FLEET: cluster $cluster names no region" >&2
    exit 2
  fi
  clusters+=("$cluster $region ${network:-}")
  [[ " ${regions[*]-} " == *" $region "* ]] || regions+=("$region")
done <"$FLEET"
if ((${#clusters[@]} == 0)); then
  echo "$FLEET names no cluster" >&2
  exit 2
fi

cd "$(dirname "$0")/.."
npm run build
in_region() { echo "${1//\{region\}/$2}"; }

declare -A url
for region in "${regions[@]}"; do
  echo "== $region"
  if [[ $CLOUD == aws ]]; then
    stage=${STAGE:-prod}
    params=(--param="config=$(in_region "${CONFIG:-}" "$region")")
    [[ -n ${AUTH_KEYS:-} ]] && params+=(--param="authKeys=$(in_region "$AUTH_KEYS" "$region")")
    [[ -n ${CONFIG_BUCKET:-} ]] && params+=(--param="configBucket=$(in_region "$CONFIG_BUCKET" "$region")")
    [[ -n ${CONFIG_KEY:-} ]] && params+=(--param="configKey=$(in_region "$CONFIG_KEY" "$region")")
    [[ -n ${VERSIONS_PREFIX:-} ]] && params+=(--param="configVersionsPrefix=$(in_region "$VERSIONS_PREFIX" "$region")")
    [[ -n ${ALARM_TOPIC_ARN:-} ]] && params+=(--param="alarmTopicArn=$(in_region "$ALARM_TOPIC_ARN" "$region")")
    npx serverless deploy --stage "$stage" --region "$region" "${params[@]}"
    url[$region]=$(aws cloudformation describe-stacks --region "$region" --stack-name "outrigger-$stage" \
      --query "Stacks[0].Outputs[?OutputKey=='InjectLambdaFunctionUrl'].OutputValue" --output text)
  else
    log=$(mktemp)
    REGION="$region" CONFIG="$(in_region "${CONFIG:-}" "$region")" infra/gcp/deploy.sh | tee "$log"
    url[$region]=$(sed -n 's/^deployed: //p' "$log")
    rm -f "$log"
  fi
  if [[ ${url[$region]} != https://* ]]; then
    echo "$region: no URL from the deployment (got \"${url[$region]}\")" >&2
    exit 1
  fi
done

mkdir -p "$OUT"
for entry in "${clusters[@]}"; do
  read -r cluster region network <<<"$entry"
  path="/inject/cluster/$cluster"
  if [[ -n ${SECRETS_DIR:-} ]]; then
    secret=$(<"$SECRETS_DIR/$cluster.secret")
    path+="/key/$secret"
  fi
  [[ -n $network ]] && path+="/net/$network"
  # shellcheck disable=SC2086 # WEBHOOK_ARGS is a list of flags
  node dist/cli.js webhook-config --url "${url[$region]%/}$path" ${WEBHOOK_ARGS:-} >"$OUT/$cluster.yaml"
  echo "$cluster ($region): kubectl --context $cluster apply -f $OUT/$cluster.yaml"
done
