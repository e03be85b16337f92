// A built entry point started as a 256 MiB instance would run it (`node --max-old-space-size=200`), with
// three clusters' keys, for attacks: run an attack against `url`, then `assertStillServes()` checks the
// instance is alive, answers /healthz within 1 s, and still injects for the other cluster (c2, its own
// key). One deployment serves every cluster with failurePolicy: Fail, so a dead or stalled instance
// stops pod creation everywhere: surviving is the bar, not answering the attacker nicely.
import assert from 'node:assert/strict';
import { secretHash } from '../../lib/auth/secret-hash.ts';
import { ensureBuilt } from '../deploy/build.ts';
import { patchedPod } from '../deploy/patched.ts';
import { httpRequest } from './http-request.ts';
import { DEPLOYED_RUNTIME_ENV } from './deployed-env.ts';
import { deploymentPod, review } from './reviews.ts';
import { FF_MAIN, type ServerProcess, spawnServer } from './spawn-server.ts';

/** The V8 heap a 256 MiB instance leaves for JavaScript (the rest is code, buffers, the runtime). */
export const INSTANCE_HEAP_MB = 200;

/** The cluster an attack may use (or forge), and the one whose reviews must keep working. */
export const C1 = { cluster: 'c1', secret: 'c1-attacked-0123456789abcdef0123456789' } as const;
export const C2 = { cluster: 'c2', secret: 'c2-bystander-fedcba9876543210fedcba98' } as const;
/** A second attacking cluster, for attacks that take two clusters' shares. */
export const C3 = { cluster: 'c3', secret: 'c3-attacker-00112233445566778899aabb' } as const;

export type Entry = 'server' | 'gcp';
type Who = typeof C1 | typeof C2 | typeof C3;

export interface AttackedServer extends ServerProcess {
  entry: Entry;
  /** The node arguments it was started with (for messages). */
  args: string[];
  /** `/inject/cluster/<id>/key/<secret>/net/<id>-net`: an authenticated path for a cluster. */
  injectPath(who: Who): string;
  /**
   * Fails unless the process is alive, GET /healthz is 200 within `healthzMs` (1 s), and a valid review
   * from c2 is answered 200, allowed, with a patch that applies, within `reviewMs` (5 s).
   */
  assertStillServes(opts?: { healthzMs?: number; reviewMs?: number }): Promise<void>;
}

/**
 * Starts `dist/server.js` (node:http, Cloud Run) or `dist/gcp.js` under functions-framework, after
 * `npm run build` if a bundle is stale, with OUTRIGGER_AUTH_KEYS for C1 and C2 and `env` on top.
 * The caller stops it (`stop()`).
 */
export async function startAttacked(entry: Entry, env: Record<string, string> = {}): Promise<AttackedServer> {
  await ensureBuilt();
  const heap = `--max-old-space-size=${INSTANCE_HEAP_MB}`;
  const args =
    entry === 'server'
      ? [heap, 'dist/server.js']
      : [heap, FF_MAIN, '--target=inject', '--source=dist/gcp.js', '--port={port}'];
  const server = await spawnServer({
    args,
    env: {
      NODE_ENV: 'production',
      ...DEPLOYED_RUNTIME_ENV,
      OUTRIGGER_AUTH_KEYS: JSON.stringify({
        [C1.cluster]: secretHash(C1.cluster, C1.secret),
        [C2.cluster]: secretHash(C2.cluster, C2.secret),
        [C3.cluster]: secretHash(C3.cluster, C3.secret),
      }),
      ...env,
    },
  });
  const injectPath = (who: Who) => `/inject/cluster/${who.cluster}/key/${who.secret}/net/${who.cluster}-net`;
  let reviews = 0;
  const assertStillServes = async ({ healthzMs = 1000, reviewMs = 5000 } = {}) => {
    const dead = () => `exit ${server.exitCode()} signal ${server.signal()}\n${server.output()}`;
    assert.equal(server.exitCode(), null, `the instance exited: ${dead()}`);
    assert.equal(server.signal(), null, `the instance was killed: ${dead()}`);
    const health = await httpRequest(`${server.url}/healthz`, { timeoutMs: healthzMs }).catch((err) => {
      assert.fail(`GET /healthz: no answer within ${healthzMs} ms (${(err as Error).message}); ${dead()}`);
    });
    assert.equal(health.status, 200, `GET /healthz: ${health.status} ${health.text}`);
    assert.ok(health.ms < healthzMs, `GET /healthz took ${health.ms.toFixed(0)} ms`);
    const pod = deploymentPod(`bystander-${++reviews}`);
    const uid = `c2-after-attack-${reviews}`;
    const res = await httpRequest(`${server.url}${injectPath(C2)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(review(pod, { uid })),
      timeoutMs: reviewMs,
    }).catch((err) => assert.fail(`c2 review: no answer within ${reviewMs} ms (${(err as Error).message})`));
    assert.equal(res.status, 200, `c2 review: ${res.status} ${res.text}`);
    const answer = JSON.parse(res.text);
    assert.equal(answer.response?.uid, uid);
    patchedPod(answer, pod);
  };
  return { ...server, entry, args, injectPath, assertStillServes };
}
