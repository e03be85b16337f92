// The README's "Try it" commands, read from the README and run as written (only the port is a free one)
// against the built artifacts: after `npm ci && OUTRIGGER_AUTH=off npm start`, the kube-inject line and
// the curl line with the files in examples/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { runToEnd, toolEnv } from '../../harness/deploy/isolated.ts';
import { patchedPod } from '../../harness/deploy/patched.ts';
import { proxyImageIn } from '../../harness/deploy/store-scenario.ts';
import { FF_MAIN, type ServerProcess, spawnServer } from '../../harness/support/spawn-server.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const TRY_IT = README.slice(
  README.indexOf('\nTry it'),
  README.indexOf('\n\n', README.indexOf('\nTry it') + 1),
);
const command = (start: string) => {
  const found = TRY_IT.match(new RegExp('`(' + start + '[^`]*)`'))?.[1];
  assert.ok(found, `no \`${start}...\` in the README's "Try it" paragraph:\n${TRY_IT}`);
  return found;
};
const REVIEW = JSON.parse(readFileSync(join(ROOT, 'examples', 'review.json'), 'utf8'));
const ENV = { ...toolEnv(), OUTRIGGER_CONFIG: '' };

/** The README's curl line, run by the shell in the repository, on `port` instead of 8080. */
async function curl(port: number): Promise<any> {
  const line = command('curl ');
  assert.match(line, /localhost:8080\/inject$/);
  const { stdout } = await runToEnd(
    'curl',
    ROOT,
    ['-c', line.replace('localhost:8080', `localhost:${port}`)],
    ENV,
    {
      command: 'sh',
    },
  );
  return JSON.parse(stdout);
}

function assertAnswer(answer: any): void {
  assert.equal(answer.apiVersion, 'admission.k8s.io/v1', JSON.stringify(answer));
  assert.equal(answer.kind, 'AdmissionReview');
  assert.equal(answer.response.uid, REVIEW.request.uid);
  assert.equal(answer.response.allowed, true);
  assert.equal(answer.response.patchType, 'JSONPatch');
  const pod = patchedPod(answer, REVIEW.request.object) as any;
  assert.ok(proxyImageIn(pod.spec));
  // What the API server's own admission put there (the service account token volume) stays.
  const names = (list: { name: string }[]) => list.map((x) => x.name);
  for (const v of names(REVIEW.request.object.spec.volumes))
    assert.ok(names(pod.spec.volumes).includes(v), v);
  const hello = pod.spec.containers.find((c: any) => c.name === 'hello');
  assert.deepEqual(hello.volumeMounts, REVIEW.request.object.spec.containers[0].volumeMounts);
}

describe('README "Try it": examples/ with the built artifacts', () => {
  before(ensureBuilt);

  it('examples/review.json is an AdmissionReview v1 as the API server sends it for a pod of examples/deployment.yaml', () => {
    const [deployment] = yaml.loadAll(
      readFileSync(join(ROOT, 'examples', 'deployment.yaml'), 'utf8'),
    ) as any[];
    const { request } = REVIEW;
    const pod = request.object;
    assert.equal(REVIEW.apiVersion, 'admission.k8s.io/v1');
    assert.equal(request.operation, 'CREATE');
    assert.equal(request.namespace, deployment.metadata.namespace);
    assert.equal(pod.metadata.name, undefined);
    const hash = pod.metadata.labels['pod-template-hash'];
    assert.equal(pod.metadata.generateName, `${deployment.metadata.name}-${hash}-`);
    assert.deepEqual(
      { ...pod.metadata.labels, 'pod-template-hash': undefined },
      { ...deployment.spec.template.metadata.labels, 'pod-template-hash': undefined },
    );
    assert.equal(pod.metadata.ownerReferences[0].kind, 'ReplicaSet');
    assert.equal(pod.metadata.ownerReferences[0].name, `${deployment.metadata.name}-${hash}`);
    assert.deepEqual(
      pod.spec.containers.map((c: any) => [c.name, c.image]),
      deployment.spec.template.spec.containers.map((c: any) => [c.name, c.image]),
    );
  });

  it('node dist/cli.js kube-inject -f examples/deployment.yaml prints the Deployment with istio-proxy', async () => {
    const line = command('node dist/cli.js kube-inject');
    assert.equal(line, 'node dist/cli.js kube-inject -f examples/deployment.yaml');
    const [node, ...args] = line.split(' ');
    assert.equal(node, 'node');
    const { stdout } = await runToEnd('kube-inject', ROOT, args, ENV);
    const [deployment] = yaml.loadAll(stdout) as any[];
    assert.equal(deployment.kind, 'Deployment', stdout);
    assert.ok(proxyImageIn(deployment.spec.template.spec), stdout);
  });

  describe('curl ... --data @examples/review.json localhost:8080/inject', () => {
    let server: ServerProcess | undefined;
    after(() => server?.stop());

    it('after OUTRIGGER_AUTH=off npm start (functions-framework on dist/gcp.js): allowed, a patch, its uid', async () => {
      // `npm start` is `npm run build && functions-framework ...`; the build is ensureBuilt's.
      const start = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start as string;
      const [build, framework] = start.split(' && ');
      assert.equal(build, 'npm run build');
      const [bin, ...args] = (framework ?? '').split(' ');
      assert.equal(bin, 'functions-framework');
      server = await spawnServer({ args: [FF_MAIN, ...args], env: { ...ENV, OUTRIGGER_AUTH: 'off' } });
      try {
        assertAnswer(await curl(Number(new URL(server.url).port)));
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- npm start's server:\n${server.output()}`, {
          cause: err,
        });
      } finally {
        await server.stop();
      }
    });

    it('against OUTRIGGER_AUTH=off node dist/server.js: the same answer', async () => {
      server = await spawnServer({ args: ['dist/server.js'], env: { ...ENV, OUTRIGGER_AUTH: 'off' } });
      try {
        assertAnswer(await curl(Number(new URL(server.url).port)));
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- node dist/server.js:\n${server.output()}`, {
          cause: err,
        });
      } finally {
        await server.stop();
      }
    });
  });
});
