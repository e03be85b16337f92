import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileBundle } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { InjectionError } from '../../lib/errors.ts';
import { injectPod } from '../../lib/inject/inject-pod.ts';
import type { Json } from '../../lib/json.ts';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

const config = compileBundle(DEFAULT_BUNDLE, 'default');
const MARKER = 'MARKERVALUE';

// Values crafted to break out of a YAML scalar, a flow collection or a Liquid output.
const PAYLOADS = [
  'x\nevil: true',
  'x"\n    - name: EVIL\n      value: "1',
  "x'\nspec: {hostNetwork: true}",
  '{hostNetwork: true}',
  '[1, 2]',
  '*alias',
  '&anchor x',
  '!!binary aGVsbG8=',
  '| \n  block',
  '> folded',
  'x # comment',
  'a: b',
  '{{ values.global.hub }}',
  '{% raw %}x{% endraw %}',
  '---\nkind: Secret',
  'x\u2028y\u0085z',
  '\\"escaped\\u0000',
];

const ANNOTATIONS = [
  'sidecar.istio.io/logLevel',
  'sidecar.istio.io/componentLogLevel',
  'sidecar.istio.io/agentLogLevel',
  'sidecar.istio.io/proxyImage',
  'kubectl.kubernetes.io/default-container',
];
const LABELS = [
  'service.istio.io/canonical-revision',
  'service.istio.io/workload-name',
  'security.istio.io/tlsMode',
];

function inject(extra: { annotations?: Record<string, string>; labels?: Record<string, string> }) {
  return injectPod(deploymentPod('hello', extra), config, {
    namespace: 'default',
    proxyEnvs: {},
    revision: '',
  });
}

/** The result with every string containing the marker rewritten as if the payload had been there. */
function substitute(v: Json | undefined, payload: string): Json | undefined {
  if (typeof v === 'string') return v.split(MARKER).join(payload);
  if (Array.isArray(v)) return v.map((x) => substitute(x, payload) as Json);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k.split(MARKER).join(payload), substitute(x, payload)]),
    );
  }
  return v;
}

describe('pod fields cannot change the structure of the rendered sidecar', () => {
  const fields = [
    ...ANNOTATIONS.map((name) => ({ name, kind: 'annotations' as const })),
    ...LABELS.map((name) => ({ name, kind: 'labels' as const })),
  ];
  for (const field of fields) {
    it(`${field.kind.slice(0, -1)} ${field.name}: only its value changes, whatever it holds`, () => {
      const baseline = inject({ [field.kind]: { [field.name]: MARKER } });
      assert.ok(JSON.stringify(baseline.pod).includes(MARKER), 'the field is rendered somewhere');
      for (const payload of PAYLOADS) {
        let attacked: ReturnType<typeof inject>;
        try {
          attacked = inject({ [field.kind]: { [field.name]: payload } });
        } catch (err) {
          // Rejecting the value (validation) is safe too, if it says which field.
          assert.ok(err instanceof InjectionError && err.message.includes(field.name), String(err));
          continue;
        }
        assert.deepEqual(
          attacked.pod,
          substitute(baseline.pod, payload),
          `payload ${JSON.stringify(payload)}`,
        );
      }
    });
  }
});

describe('a bundle’s templates cannot read files of the host', () => {
  it('dist/cli.js: {% include %} and {% render %} of a file beside the command find nothing (was: its text in the pod)', async (t) => {
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-include-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'secret.txt'), 'hunter2');
    writeFileSync(
      join(dir, 'pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: b}]}\n',
    );
    for (const tag of ["include 'secret.txt'", "render 'secret.txt'"]) {
      const bundle = join(dir, 'bundle');
      mkdirSync(join(bundle, 'templates'), { recursive: true });
      writeFileSync(join(bundle, 'config.yaml'), 'defaultTemplates: [sidecar, leak]\n');
      writeFileSync(
        join(bundle, 'templates', 'leak.liquid'),
        `metadata:\n  annotations:\n    leak: "{% ${tag} %}"\n`,
      );
      const r = spawnSync(
        process.execPath,
        [join(ROOT, 'dist', 'cli.js'), 'kube-inject', '-f', 'pod.yaml', '--config', bundle],
        {
          cwd: dir,
          encoding: 'utf8',
        },
      );
      assert.doesNotMatch(r.stdout + r.stderr, /hunter2/, tag);
      assert.notEqual(r.status, 0, tag);
      assert.match(
        r.stderr,
        /failed to run injection template "leak": ENOENT: Failed to lookup "secret\.txt"/,
        tag,
      );
    }
  });
});
