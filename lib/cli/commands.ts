import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { auditCluster } from '../audit/audit.ts';
import { secretFromInput } from '../auth/read-secret.ts';
import { secretHash } from '../auth/secret-hash.ts';
import { configForRevision } from '../config/cluster-configs.ts';
import { isObject, type JsonObject } from '../json.ts';
import { revisionKey } from '../policy/revision.ts';
import { buildWebhookConfigs } from '../webhook-config/build.ts';
import { webhookConfigOptionsFromArgs } from '../webhook-config/flags.ts';
import { bundleDocument, parseBundleFormat } from './bundle.ts';
import { checkInject } from './check-inject.ts';
import { clusterLookupFromFlags, configFromFlags } from './config-flags.ts';
import { importIstio, writeBundleDirectory } from './import.ts';
import { kubeInject } from './kube-inject.ts';
import { publishVersion } from './publish.ts';
import { parseRolloutArgs, runRollout } from './rollout.ts';
import { EXIT, oneOf, readFileArg, UsageError } from './usage.ts';
import { versionText } from './version.ts';

/** One `outrigger` command: its line in the command list, its --help text, and what it does. */
export interface Command {
  summary: string;
  help: string;
  run(args: string[]): Promise<number>;
}

const CONFIG_FLAGS_HELP = `config (the same as the webhook's):
  --config PATH|URI        a bundle layer (file, directory, secretsmanager://, s3://, gs://); repeats
  --profile NAME           the Istio release profile (istio-1.28, istio-1.29, istio-1.30, istio-master)
  --values FILE            the injector values, replacing the profile's (Istio's values JSON/YAML)
  --mesh FILE              the mesh config, replacing the profile's
  --set values.a.b=V       one value, Helm's or istioctl's spelling; repeats`;

const CONFIG_OPTIONS = {
  config: { type: 'string', multiple: true, default: [] as string[] },
  values: { type: 'string' },
  mesh: { type: 'string' },
  set: { type: 'string', multiple: true, default: [] as string[] },
  profile: { type: 'string' },
  filename: { type: 'string', short: 'f' },
} as const;

const required = <T>(value: T | undefined, message: string): T => {
  if (value === undefined || value === '') throw new UsageError(message);
  return value;
};

const input = (file: string | undefined) =>
  readFileArg(required(file, '-f FILE (or - for standard input) is required'));

export const COMMANDS: Record<string, Command> = {
  'kube-inject': {
    summary: 'inject sidecars into the manifests in a file and print them',
    help: `usage: outrigger kube-inject -f FILE|- [flags]

Injects the istio-proxy sidecar into every pod and pod template of the manifests, as
istioctl kube-inject does, and prints them; other documents pass through unchanged.

  -f, --filename FILE|-    the manifests (- for standard input)
  --revision R             the istio.io/rev served (the bundle's revisions.<R>)
  --native-sidecars true|false   override the bundle's nativeSidecars
${CONFIG_FLAGS_HELP}`,
    async run(args) {
      const { values: f } = parseArgs({
        args,
        options: {
          ...CONFIG_OPTIONS,
          revision: { type: 'string', default: '' },
          'native-sidecars': { type: 'string' },
        },
      });
      const native =
        f['native-sidecars'] === undefined
          ? undefined
          : oneOf('--native-sidecars', f['native-sidecars'], ['true', 'false']);
      const text = input(f.filename);
      const config = await configFromFlags({ ...f, set: f.set, config: f.config });
      // A bundle that lists revisions serves --revision from its revisions.<name>, as the webhook does.
      const served = config.revisionNames?.length ? configForRevision(config, f.revision) : config;
      const result = kubeInject(text, served, {
        revision: revisionKey(f.revision),
        nativeSidecars: native === undefined ? undefined : native === 'true',
      });
      for (const w of result.warnings) process.stderr.write(`${w}\n`);
      process.stdout.write(result.output);
      return EXIT.ok;
    },
  },

  'check-inject': {
    summary: 'print, per pod, whether it would be injected and why',
    help: `usage: outrigger check-inject -f FILE|- [flags]

For each pod and pod template: would the webhook be called (with --webhook-config: its
selectors and matchConditions), and would the injector inject it, with the reason.

  -f, --filename FILE|-    the manifests
  --namespace NS           the namespace of manifests that name none (default: default)
  --namespace-labels k=v,...   that namespace's labels
  --webhook-config FILE    the MutatingWebhookConfiguration(s) applied (webhook-config's output)
  -o, --output text|json   (default: text)
${CONFIG_FLAGS_HELP}`,
    async run(args) {
      const { values: f } = parseArgs({
        args,
        options: {
          ...CONFIG_OPTIONS,
          namespace: { type: 'string', default: 'default' },
          'namespace-labels': { type: 'string', default: '' },
          'webhook-config': { type: 'string' },
          output: { type: 'string', short: 'o', default: 'text' },
        },
      });
      const output = oneOf('-o', f.output, ['text', 'json']);
      const text = input(f.filename);
      const results = checkInject(text, await configFromFlags({ ...f, set: f.set, config: f.config }), {
        namespace: f.namespace,
        namespaceLabels: parseLabels(f['namespace-labels']),
        webhookConfigs: readWebhookConfigs(f['webhook-config']),
      });
      if (output === 'json') process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else {
        for (const r of results)
          process.stdout.write(
            `${r.kind} ${r.namespace}/${r.name}: ${r.inject ? 'inject' : 'skip'} (${r.reason})\n`,
          );
      }
      return EXIT.ok;
    },
  },

  audit: {
    summary: 'find pods without the sidecar the current config would inject, or with an older one',
    help: `usage: outrigger audit -f DUMP|- --webhook-config FILE [flags]

Reads a cluster dump (kubectl get namespaces,pods -A -o json) and reports, per workload, pods
the current config would inject that have no istio-proxy, and pods whose istio-proxy image
differs from what it would inject now. Exits 1 when it finds any.

  -f, --filename DUMP|-    the dump
  --webhook-config FILE    the configurations applied (kubectl get mutatingwebhookconfigurations -o yaml)
  -o, --output text|json   (default: text)
${CONFIG_FLAGS_HELP}`,
    async run(args) {
      const { values: f } = parseArgs({
        args,
        options: {
          ...CONFIG_OPTIONS,
          'webhook-config': { type: 'string' },
          output: { type: 'string', short: 'o', default: 'text' },
        },
      });
      const output = oneOf('-o', f.output, ['text', 'json']);
      const webhookConfigs = readWebhookConfigs(
        required(
          f['webhook-config'],
          'audit needs --webhook-config: the configurations applied to the cluster (kubectl get mutatingwebhookconfigurations -o yaml), which say which pods the webhooks see',
        ),
      ) as JsonObject[];
      const dump = input(f.filename);
      let parsed: unknown;
      try {
        parsed = JSON.parse(dump);
      } catch (err) {
        throw new Error(
          `${f.filename === '-' ? 'standard input' : f.filename}: not JSON (kubectl get namespaces,pods -A -o json): ${(err as Error).message}`,
          { cause: err },
        );
      }
      const findings = auditCluster(
        parsed,
        await clusterLookupFromFlags({ ...f, set: f.set, config: f.config }),
        webhookConfigs,
      );
      if (output === 'json') process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
      else {
        for (const x of findings) {
          process.stdout.write(
            `${x.namespace}/${x.workload}: ${x.pods.length} pod${x.pods.length === 1 ? '' : 's'} with ${x.problem === 'no sidecar' ? 'no sidecar' : 'an outdated sidecar'} (${x.pods.join(', ')}): ${x.reason}\n`,
          );
        }
        if (!findings.length) process.stdout.write('every pod has the sidecar the current config injects\n');
      }
      return findings.length ? EXIT.failed : EXIT.ok;
    },
  },

  'webhook-config': {
    summary: 'print the MutatingWebhookConfiguration(s) that point a cluster at the injector',
    help: `usage: outrigger webhook-config --url https://HOST/inject/cluster/<id>[/key/<secret>]/net/<net> [flags]

  --url URL                the injector's URL; the path starts with /inject
  --revision R             a revision's webhooks (istio.io/rev: R); repeats; none: the default revision
  --tag NAME=R             a tag's webhooks (istio.io/tag: NAME) served by revision R; repeats
  --failure-policy Fail|Ignore   (default: Fail)
  --timeout SECONDS        (default: 10)
  --reinvocation IfNeeded|Never  (default: Never)
  --namespace-mode label|all     label: namespaces labelled for injection; all: every namespace but
                           the system ones (default: label)
  --ca-bundle FILE         the CA that signed the URL's certificate, for a private CA only
  --name NAME              the configuration's name, when the flags make one`,
    async run(args) {
      let options: ReturnType<typeof webhookConfigOptionsFromArgs>;
      try {
        options = webhookConfigOptionsFromArgs(args);
      } catch (err) {
        // A --ca-bundle file that cannot be read is a failure, not a wrong command line.
        if ((err as { code?: string }).code === 'ENOENT') throw err;
        throw new UsageError((err as Error).message, { cause: err });
      }
      const built = buildWebhookConfigs(options);
      if (!built.ok) throw new UsageError(built.errors.join('\n       '));
      process.stdout.write(
        built.configs.map((c) => yaml.dump(c, { lineWidth: -1, noRefs: true })).join('---\n'),
      );
      return EXIT.ok;
    },
  },

  'auth-hash': {
    summary: "read a cluster's secret on standard input, print its hash for OUTRIGGER_AUTH_KEYS",
    help: `usage: outrigger auth-hash --cluster ID < SECRET-FILE

  --cluster ID             the cluster id in the webhook URL path (/inject/cluster/ID/...)`,
    async run(args) {
      const { values: f } = parseArgs({ args, options: { cluster: { type: 'string' } } });
      const cluster = required(
        f.cluster,
        '--cluster ID is required: the id in the webhook URL path (/inject/cluster/ID/...)',
      );
      const secret = secretFromInput(readFileSync(0, 'utf8'));
      if (!secret.ok) throw new Error(secret.error);
      process.stdout.write(`${secretHash(cluster, secret.secret)}\n`);
      return EXIT.ok;
    },
  },

  bundle: {
    summary: 'print the bundle in a directory as one document',
    help: `usage: outrigger bundle DIR [-o yaml|json]

  -o, --output yaml|json   (default: yaml)`,
    async run(args) {
      const { values: f, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { output: { type: 'string', short: 'o', default: 'yaml' } },
      });
      const format = parseBundleFormat(oneOf('-o', f.output, ['yaml', 'json']));
      process.stdout.write(bundleDocument(onlyPath('bundle', positionals), format));
      return EXIT.ok;
    },
  },

  publish: {
    summary: 'validate a bundle and store it as a new immutable version; print its URI',
    help: `usage: outrigger publish DIR --to URI [flags]

  --to URI                 secretsmanager://NAME|ARN, s3://BUCKET/KEY, gs://BUCKET/OBJECT, file:///PATH or a path
  -o, --output yaml|json   the stored document's format (default: yaml)
  --verify-with CORPUS     compare what the new version injects on these manifests with --against
  --against URI            the version to compare with (default: what --to serves now)
  --verify-cluster ID      the clusters to compare for; repeats
  --dry-run                everything but the write; print the URI the version would get`,
    async run(args) {
      const { values: f, positionals } = parseArgs({
        args,
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
      const to = required(f.to, '--to URI is required: where the version is stored');
      const dir = onlyPath('publish', positionals);
      const clusters = f['verify-cluster'];
      const result = await publishVersion(
        dir,
        to,
        {
          format: parseBundleFormat(oneOf('-o', f.output, ['yaml', 'json'])),
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
      return EXIT.ok;
    },
  },

  rollout: {
    summary: 'move clusters between bundle versions, in waves',
    help: `usage: outrigger rollout init|start|next|undo|status --to URI [flags]

  --to URI                 the rollout document (where OUTRIGGER_CONFIG points)
  --version V              the bundle version to roll out (publish's output)
  --waves W...             one argument a wave: cluster ids and globs, comma-separated ('dev-*' 'staging-*' '*')
  --cluster ID...          the clusters a command is limited to`,
    async run(args) {
      let parsed: ReturnType<typeof parseRolloutArgs>;
      try {
        parsed = parseRolloutArgs(args);
      } catch (err) {
        throw new UsageError((err as Error).message, { cause: err });
      }
      process.stdout.write(await runRollout(parsed, process.env));
      return EXIT.ok;
    },
  },

  import: {
    summary: "turn a running Istio's istio-sidecar-injector ConfigMap into a bundle directory",
    help: `usage: outrigger import -f CONFIGMAP.yaml -o DIR [flags]

Reads kubectl get configmap istio-sidecar-injector -n istio-system -o yaml. A template that is
not one of the release's stock templates must be ported to Liquid first: import names it and
writes nothing (exit 1).

  -f, --filename FILE|-    the ConfigMap
  -o, --output DIR         the bundle directory to write
  --mesh FILE              the istio ConfigMap (kubectl get configmap istio -n istio-system -o yaml)
  --profile NAME           the release profile (default: the one the ConfigMap's templates match)
  --allow-custom           write the rest of the bundle anyway, without the custom templates`,
    async run(args) {
      const { values: f } = parseArgs({
        args,
        options: {
          filename: { type: 'string', short: 'f' },
          mesh: { type: 'string' },
          output: { type: 'string', short: 'o' },
          profile: { type: 'string' },
          'allow-custom': { type: 'boolean', default: false },
        },
      });
      const out = required(f.output, '-o DIR is required: the bundle directory to write');
      const result = importIstio({
        injectorConfigMap: input(f.filename),
        meshConfigMap: f.mesh === undefined ? undefined : readFileArg(f.mesh),
        profile: f.profile,
        allowCustom: f['allow-custom'],
      });
      for (const line of result.report) process.stdout.write(`${line}\n`);
      if (result.problems.length && !f['allow-custom']) {
        for (const p of result.problems) process.stderr.write(`error: ${p}\n`);
        process.stderr.write(
          `nothing written to ${out}: port the templates above, or run with --allow-custom to import the rest\n`,
        );
        return EXIT.failed;
      }
      for (const p of result.problems) process.stderr.write(`warning: ${p}\n`);
      process.stdout.write(`wrote ${writeBundleDirectory(out, result.files).join(', ')} to ${out}\n`);
      return EXIT.ok;
    },
  },

  version: {
    summary: 'print the version and the Istio release profiles it carries',
    help: 'usage: outrigger version',
    async run(args) {
      parseArgs({ args, options: {} });
      process.stdout.write(versionText());
      return EXIT.ok;
    },
  },
};

/** --webhook-config FILE: one MutatingWebhookConfiguration or a YAML stream of them. */
function readWebhookConfigs(file: string | undefined): JsonObject[] | undefined {
  if (!file) return undefined;
  // A YAML stream, or the List `kubectl get mutatingwebhookconfigurations -o yaml` prints.
  const docs = yaml
    .loadAll(readFileArg(file))
    .flatMap((d) => (isObject(d) && d.kind === 'List' && Array.isArray(d.items) ? d.items : [d]))
    .filter((d) => d != null);
  if (!docs.length || !docs.every((d) => isObject(d) && Array.isArray(d.webhooks)))
    throw new Error(`${file} is not a MutatingWebhookConfiguration (or a YAML stream or List of them)`);
  return docs as JsonObject[];
}

function onlyPath(command: string, positionals: string[]): string {
  const [path, ...extra] = positionals;
  if (path === undefined || extra.length) throw new UsageError(`${command} takes one bundle DIR (or file)`);
  return path;
}

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of s.split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--namespace-labels: "${pair}" is not key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
