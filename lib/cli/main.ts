import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { secretFromInput } from '../auth/read-secret.ts';
import { secretHash } from '../auth/secret-hash.ts';
import { bundleDocument, parseBundleFormat } from './bundle.ts';
import { checkInject } from './check-inject.ts';
import { clusterLookupFromFlags, configFromFlags } from './config-flags.ts';
import { importIstio, writeBundleDirectory } from './import.ts';
import { configForRevision } from '../config/cluster-configs.ts';
import { kubeInject } from './kube-inject.ts';
import { publishVersion } from './publish.ts';
import { parseRolloutArgs, runRollout } from './rollout.ts';
import { revisionKey } from '../policy/revision.ts';
import { isObject, type JsonObject } from '../json.ts';
import { auditCluster } from '../audit/audit.ts';
import { buildWebhookConfigs } from '../webhook-config/build.ts';
import { webhookConfigOptionsFromArgs } from '../webhook-config/flags.ts';
import { versionText } from './version.ts';

const USAGE = `usage: outrigger <command> [flags]

commands:
  kube-inject  -f FILE|-   inject sidecars into the manifests in FILE and print them
      [--config PATH|URI]... [--profile istio-1.30] [--values FILE] [--mesh FILE] [--set values.a.b=V]...
      [--revision R] [--native-sidecars true|false]
  check-inject -f FILE|-   print, per pod, whether it would be injected and why
      [--namespace NS] [--namespace-labels k=v,...] [--webhook-config MWC.yaml] [-o json] [--config PATH|URI]...
      [--profile istio-1.30]
  bundle DIR               print the bundle in DIR as one document  [-o yaml|json]
  publish DIR --to URI     validate the bundle in DIR and store it as a new immutable version; print its URI
      URI: secretsmanager://NAME|ARN, s3://BUCKET/KEY, gs://BUCKET/OBJECT, file:///PATH or a path
      [-o yaml|json] [--verify-with CORPUS [--against URI] [--verify-cluster ID]...] [--dry-run]
  rollout init|start|next|undo|status --to URI   move clusters between bundle versions, in waves
      [--version V] [--waves 'dev-*' 'staging-*' '*'] [--cluster ID...]
  webhook-config --url https://HOST/inject/cluster/<id>/net/<net>   print the MutatingWebhookConfiguration(s)
      [--revision R]... [--tag NAME=R]... [--failure-policy Fail|Ignore] [--timeout 10] [--reinvocation IfNeeded|Never]
      [--namespace-mode label|all] [--ca-bundle FILE] [--name NAME]
  auth-hash --cluster ID   read a cluster's secret on standard input, print its hash for OUTRIGGER_AUTH_KEYS
  import -f CM.yaml -o DIR  a running Istio's istio-sidecar-injector ConfigMap (kubectl get -o yaml) as a bundle DIR
      [--mesh ISTIO-CM.yaml] [--profile istio-1.30] [--allow-custom]
  audit -f DUMP|- --webhook-config MWC.yaml   pods without the sidecar the current config would inject,
      or with an older one; exit 1 when there are any   DUMP: kubectl get namespaces,pods -A -o json
      [-o json] [--config PATH|URI]... [--profile istio-1.30]
  version                  print the version and the Istio release profiles it carries
`;

const CONFIG_OPTIONS = {
  config: { type: 'string', multiple: true, default: [] as string[] },
  values: { type: 'string' },
  mesh: { type: 'string' },
  set: { type: 'string', multiple: true, default: [] as string[] },
  profile: { type: 'string' },
  filename: { type: 'string', short: 'f' },
} as const;

/** The `outrigger` command: runs `argv` (the arguments after the command name) → the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'kube-inject': {
      const { values: f } = parseArgs({
        args: rest,
        options: {
          ...CONFIG_OPTIONS,
          revision: { type: 'string', default: '' },
          'native-sidecars': { type: 'string' },
        },
      });
      const native = f['native-sidecars'];
      if (native !== undefined && native !== 'true' && native !== 'false') {
        throw new Error(`--native-sidecars must be true or false, not "${native}"`);
      }
      const config = await configFromFlags({ ...f, set: f.set, config: f.config });
      // A bundle that lists revisions serves --revision from its revisions.<name>, as the webhook does.
      const served = config.revisionNames?.length ? configForRevision(config, f.revision) : config;
      const result = kubeInject(readInput(f.filename), served, {
        revision: revisionKey(f.revision),
        nativeSidecars: native === undefined ? undefined : native === 'true',
      });
      for (const w of result.warnings) process.stderr.write(`${w}\n`);
      process.stdout.write(result.output);
      return 0;
    }
    case 'check-inject': {
      const { values: f } = parseArgs({
        args: rest,
        options: {
          ...CONFIG_OPTIONS,
          namespace: { type: 'string', default: 'default' },
          'namespace-labels': { type: 'string', default: '' },
          'webhook-config': { type: 'string' },
          output: { type: 'string', short: 'o', default: 'text' },
        },
      });
      const mwcs = readWebhookConfigs(f['webhook-config']);
      const results = checkInject(
        readInput(f.filename),
        await configFromFlags({ ...f, set: f.set, config: f.config }),
        {
          namespace: f.namespace,
          namespaceLabels: parseLabels(f['namespace-labels']),
          webhookConfigs: mwcs,
        },
      );
      if (f.output === 'json') {
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      } else {
        for (const r of results) {
          process.stdout.write(
            `${r.kind} ${r.namespace}/${r.name}: ${r.inject ? 'inject' : 'skip'} (${r.reason})\n`,
          );
        }
      }
      return 0;
    }
    case 'audit': {
      const { values: f } = parseArgs({
        args: rest,
        options: {
          ...CONFIG_OPTIONS,
          'webhook-config': { type: 'string' },
          output: { type: 'string', short: 'o', default: 'text' },
        },
      });
      const webhookConfigs = readWebhookConfigs(f['webhook-config']);
      if (!webhookConfigs)
        throw new Error(
          'audit needs --webhook-config: the configurations applied to the cluster (kubectl get mutatingwebhookconfigurations -o yaml), which say which pods the webhooks see',
        );
      const findings = auditCluster(
        JSON.parse(readInput(f.filename)),
        await clusterLookupFromFlags({ ...f, set: f.set, config: f.config }),
        webhookConfigs,
      );
      if (f.output === 'json') process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
      else {
        for (const x of findings) {
          process.stdout.write(
            `${x.namespace}/${x.workload}: ${x.pods.length} pod${x.pods.length === 1 ? '' : 's'} with ${x.problem === 'no sidecar' ? 'no sidecar' : 'an outdated sidecar'} (${x.pods.join(', ')}): ${x.reason}\n`,
          );
        }
        if (!findings.length) process.stdout.write('every pod has the sidecar the current config injects\n');
      }
      return findings.length ? 1 : 0;
    }
    case 'webhook-config': {
      const built = buildWebhookConfigs(webhookConfigOptionsFromArgs(rest));
      if (!built.ok) throw new Error(built.errors.join('\n       '));
      process.stdout.write(
        built.configs.map((c) => yaml.dump(c, { lineWidth: -1, noRefs: true })).join('---\n'),
      );
      return 0;
    }
    case 'auth-hash': {
      const { values: f } = parseArgs({ args: rest, options: { cluster: { type: 'string' } } });
      if (!f.cluster)
        throw new Error('--cluster ID is required: the id in the webhook URL path (/inject/cluster/ID/...)');
      const input = secretFromInput(readFileSync(0, 'utf8'));
      if (!input.ok) throw new Error(input.error);
      process.stdout.write(`${secretHash(f.cluster, input.secret)}\n`);
      return 0;
    }
    case 'bundle': {
      const { values: f, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { output: { type: 'string', short: 'o', default: 'yaml' } },
      });
      process.stdout.write(bundleDocument(onlyPath(command, positionals), parseBundleFormat(f.output)));
      return 0;
    }
    case 'publish': {
      const { values: f, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          to: { type: 'string' },
          output: { type: 'string', short: 'o', default: 'yaml' },
          'verify-with': { type: 'string' },
          against: { type: 'string' },
          'verify-cluster': { type: 'string', multiple: true, default: [] as string[] },
          'dry-run': { type: 'boolean', default: false },
        },
      });
      if (!f.to) throw new Error('publish: --to URI is required');
      const clusters = f['verify-cluster'];
      const result = await publishVersion(
        onlyPath(command, positionals),
        f.to,
        {
          format: parseBundleFormat(f.output),
          verifyWith: f['verify-with'],
          against: f.against,
          clusters: clusters.length ? clusters : undefined,
          dryRun: f['dry-run'],
        },
        process.env,
      );
      // The report for a person, the version URI alone on stdout: V=$(outrigger publish ...).
      process.stderr.write(result.report);
      process.stdout.write(`${result.uri}\n`);
      return 0;
    }
    case 'rollout': {
      process.stdout.write(await runRollout(parseRolloutArgs(rest), process.env));
      return 0;
    }
    case 'import': {
      const { values: f } = parseArgs({
        args: rest,
        options: {
          filename: { type: 'string', short: 'f' },
          mesh: { type: 'string' },
          output: { type: 'string', short: 'o' },
          profile: { type: 'string' },
          'allow-custom': { type: 'boolean', default: false },
        },
      });
      if (!f.filename)
        throw new Error(
          'import: -f CONFIGMAP.yaml is required (kubectl get configmap istio-sidecar-injector -n istio-system -o yaml)',
        );
      if (!f.output) throw new Error('import: -o DIR is required (the bundle directory to write)');
      const result = importIstio({
        injectorConfigMap: readInput(f.filename),
        meshConfigMap: f.mesh === undefined ? undefined : readFileSync(f.mesh, 'utf8'),
        profile: f.profile,
        allowCustom: f['allow-custom'],
      });
      for (const line of result.report) process.stdout.write(`${line}\n`);
      if (result.problems.length && !f['allow-custom']) {
        for (const p of result.problems) process.stderr.write(`error: ${p}\n`);
        process.stderr.write(
          `nothing written to ${f.output}: port the templates above, or run with --allow-custom to import the rest\n`,
        );
        return 1;
      }
      for (const p of result.problems) process.stderr.write(`warning: ${p}\n`);
      process.stdout.write(
        `wrote ${writeBundleDirectory(f.output, result.files).join(', ')} to ${f.output}\n`,
      );
      return 0;
    }
    case 'version':
    case '--version':
      process.stdout.write(versionText());
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

/** --webhook-config FILE: one MutatingWebhookConfiguration or a YAML stream of them. */
function readWebhookConfigs(file: string | undefined): JsonObject[] | undefined {
  if (!file) return undefined;
  // A YAML stream, or the List `kubectl get mutatingwebhookconfigurations -o yaml` prints.
  const docs = yaml
    .loadAll(readFileSync(file, 'utf8'))
    .flatMap((d) => (isObject(d) && d.kind === 'List' && Array.isArray(d.items) ? d.items : [d]))
    .filter((d) => d != null);
  if (!docs.length || !docs.every((d) => isObject(d) && Array.isArray(d.webhooks)))
    throw new Error(`${file} is not a MutatingWebhookConfiguration (or a YAML stream or List of them)`);
  return docs as JsonObject[];
}

function onlyPath(command: string, positionals: string[]): string {
  const [path, ...extra] = positionals;
  if (path === undefined || extra.length) throw new Error(`${command} takes one bundle DIR (or file)`);
  return path;
}

function readInput(file: string | undefined): string {
  if (!file) throw new Error('-f FILE (or - for standard input) is required');
  return readFileSync(file === '-' ? 0 : file, 'utf8');
}

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of s.split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--namespace-labels: "${pair}" is not key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
