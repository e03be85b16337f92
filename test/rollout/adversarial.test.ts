// Attacks through the config a deployment reads, against the built dist/server.js under a 256 MiB
// instance's heap (harness/support/attacked-server.ts): whoever may write a rollout document must not be
// able to make the function read any file of its host, or one large enough to fill it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { patchedPod } from '../../harness/deploy/patched.ts';
import { C1, startAttacked } from '../../harness/support/attacked-server.ts';
import { httpRequest } from '../../harness/support/http-request.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

let work: string;
let published: string;

before(async () => {
  await ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'outrigger-adversarial-config-'));
  const src = join(work, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'values.yaml'), 'global:\n  hub: published.example/istio\n');
  const cli = (args: string[]) => execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args]);
  cli(['publish', src, '--to', join(work, 'bundle.yaml')]);
  published = join(work, readdirSync(work).find((f) => /^bundle\.[0-9a-f]{16}\.yaml$/.test(f)) as string);
});
after(() => rmSync(work, { recursive: true, force: true }));

/** A rollout document in `work` serving `published` by default and pinning c1 to `pin`. */
function rollout(name: string, pin: string): string {
  const file = join(work, name);
  writeFileSync(
    file,
    `kind: Rollout\ndefault: ${published}\npinned:\n  - clusters: [${C1.cluster}]\n    version: ${pin}\n`,
  );
  return file;
}

describe('rollout versions (before: a pin to a 1.5 GB local file took RSS 62 → 1,561 MiB and blocked the event loop 5.8 s; /proc/self/environ parsed)', () => {
  it('dist/server.js: a pin to a 1.5 GB file in the document’s folder is refused unread; c1 gets the default, c2 is injected', async (t) => {
    const huge = join(work, 'bundle.0123456789abcdef.yaml');
    writeFileSync(huge, '');
    truncateSync(huge, 1_500_000_000);
    const server = await startAttacked('server', { OUTRIGGER_CONFIG: rollout('rollout.yaml', huge) });
    try {
      const base = server.rssKiB();
      const pod = deploymentPod('pinned');
      const res = await httpRequest(`${server.url}${server.injectPath(C1)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(review(pod, { uid: 'pinned' })),
        timeoutMs: 5000,
      });
      assert.equal(res.status, 200, res.text);
      const patched = patchedPod(JSON.parse(res.text), pod) as { spec: { containers: { image: string }[] } };
      assert.ok(
        JSON.stringify(patched.spec).includes('published.example/istio'),
        'c1 is served the default version',
      );
      await server.assertStillServes();
      const grown = server.rssKiB() - base;
      t.diagnostic(`c1 answered in ${res.ms.toFixed(0)} ms; RSS +${(grown / 1024).toFixed(0)} MiB`);
      assert.ok(grown < 64 * 1024, `RSS grew ${grown} KiB`);
      assert.match(
        server.output(),
        /bundle\.0123456789abcdef\.yaml is 1500000000 bytes; a config source may hold at most 4194304/,
      );
    } finally {
      await server.stop();
    }
  });

  it('dist/server.js: a pin to /proc/self/environ stops the deployment at start, naming the field', async () => {
    const started = startAttacked('server', {
      OUTRIGGER_CONFIG: rollout('rollout-proc.yaml', '/proc/self/environ'),
    });
    await assert.rejects(started, (err: Error) => {
      assert.match(
        err.message,
        /pinned\[0\]\.version: \/proc\/self\/environ is outside the rollout document's folder/,
      );
      assert.doesNotMatch(err.message, /PATH=|HOME=/);
      return true;
    });
  });
});
