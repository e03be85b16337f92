// What every long-running artifact must do with each config store: serve the store's bundle to an
// authenticated cluster (and 401 to anyone else), pick up a new bundle within a few TTLs, and keep the
// last good bundle when the store fails. Written once; each artifact test supplies how to call it.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { secretHash } from '../../lib/auth/secret-hash.ts';
import { CORRUPT_BUNDLE, type TestStores } from '../stores.ts';
import { deploymentPod, review } from '../support/reviews.ts';
import { httpRequest } from '../support/http-request.ts';
import type { HttpArtifact } from './isolated.ts';
import { patchedPod } from './patched.ts';

export const CLUSTER = 'c1';
export const SECRET = 'c1-artifact-secret-0123456789abcdef';
/** Seconds; a refresh is due this long after a load. */
export const TTL = 0.2;

/** The environment every artifact gets besides its store: dummy AWS credentials, the stores, auth for c1. */
export function storeEnv(stores: TestStores): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...stores.env,
    OUTRIGGER_CONFIG_TIMEOUT: '1',
    OUTRIGGER_CONFIG_TTL: String(TTL),
    OUTRIGGER_AUTH_KEYS: JSON.stringify({ [CLUSTER]: secretHash(CLUSTER, SECRET) }),
  };
}

/** A bundle whose only change to the default is the proxy image (a full reference, used verbatim). */
export function imageBundle(image: string): string {
  return `values: {global: {proxy: {image: "${image}"}}}\n`;
}

export interface StoreCase {
  name: (typeof STORE_NAMES)[number];
  uri: string;
  /** Writes a new version of the bundle, with this proxy image. */
  publish(image: string): Promise<void>;
  /** Makes the next reads fail: the fake stores stop answering, S3 gets an invalid bundle as a new version. */
  fail(): Promise<void>;
  /** Requests the store has received, where it counts them (the fakes). */
  calls(): number | undefined;
  /** Back to normal for the next case. */
  restore(): void;
}

export const STORE_NAMES = ['s3', 'secretsmanager', 'gcs'] as const;

/** The three stores by name, each with its own object or secret named after `tag`. */
export function storeCases(stores: TestStores, tag: string): Record<StoreCase['name'], StoreCase> {
  const cases = storeList(stores, tag);
  return Object.fromEntries(cases.map((c) => [c.name, c])) as Record<StoreCase['name'], StoreCase>;
}

function storeList(stores: TestStores, tag: string): StoreCase[] {
  const key = `${tag}/bundle.yaml`;
  return [
    {
      name: 's3',
      uri: `s3://outrigger/${key}`,
      publish: async (image) => void (await stores.s3.put('outrigger', key, imageBundle(image))),
      fail: async () => void (await stores.s3.put('outrigger', key, CORRUPT_BUNDLE)),
      calls: () => undefined,
      restore: () => {},
    },
    {
      name: 'secretsmanager',
      uri: `secretsmanager://outrigger/${tag}`,
      publish: async (image) => void stores.sm.put(`outrigger/${tag}`, imageBundle(image)),
      fail: async () => void (stores.sm.mode = 'down'),
      calls: () => stores.sm.totalCalls(),
      restore: () => void (stores.sm.mode = 'up'),
    },
    {
      name: 'gcs',
      uri: `gs://outrigger-config/${key}`,
      publish: async (image) => void stores.gcs.put('outrigger-config', key, imageBundle(image)),
      fail: async () => void (stores.gcs.mode = 'down'),
      calls: () => stores.gcs.totalCalls(),
      restore: () => void (stores.gcs.mode = 'up'),
    },
  ];
}

export interface Answer {
  status: number;
  body: string;
}

/** A running artifact as the scenario calls it: POST a body to a path, and the artifact's output. */
export interface Injector {
  label: string;
  post(path: string, body: string, headers?: Record<string, string>): Promise<Answer>;
  /** The artifact's stderr, where the config cache logs (one JSON line per event). */
  stderr(): string;
  /** Everything the artifact printed, for a failure message. */
  describe(): string;
}

export interface ScenarioReport {
  store: string;
  before: string;
  after: string;
  refreshMs: number;
  lastKnownGood: string;
  failureLogged: string;
}

const POD = deploymentPod('hello');

/** The image of the istio-proxy container (a native sidecar among the init containers, or classic). */
export function proxyImageIn(spec: { containers?: unknown[]; initContainers?: unknown[] }): string {
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as {
    name: string;
    image?: string;
  }[];
  const proxy = all.find((c) => c.name === 'istio-proxy');
  assert.ok(proxy, `no istio-proxy container in ${JSON.stringify(spec)}`);
  return proxy.image ?? '';
}

/** The proxy image in the pod that an answer turns POD into, asserting it is allowed with a patch. */
export function proxyImageOf(answer: Answer, uid: string): string {
  assert.equal(answer.status, 200, `HTTP ${answer.status}: ${answer.body}`);
  const parsed = JSON.parse(answer.body);
  assert.equal(parsed.response?.uid, uid, answer.body);
  const pod = patchedPod(parsed, POD) as { spec: { containers?: unknown[]; initContainers?: unknown[] } };
  return proxyImageIn(pod.spec);
}

let uids = 0;
/** An authenticated injection (path secret, or bearer token); the image it answers with. */
export async function injectedImage(target: Injector, how: 'path' | 'bearer' = 'path'): Promise<string> {
  const uid = `artifact-${++uids}`;
  const body = JSON.stringify(review(POD, { uid }));
  const answer =
    how === 'path'
      ? await target.post(`/inject/cluster/${CLUSTER}/key/${SECRET}/net/n1`, body)
      : await target.post(`/inject/cluster/${CLUSTER}/net/n1`, body, { authorization: `Bearer ${SECRET}` });
  return proxyImageOf(answer, uid);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The scenario on a target started with OUTRIGGER_CONFIG=store.uri after `store.publish(images[0])`.
 * Every assertion's message carries the artifact's output.
 */
export async function storeScenario(
  target: Injector,
  store: StoreCase,
  images: [string, string],
): Promise<ScenarioReport> {
  const [first, second] = images;
  try {
    const unauthenticated = await target.post('/inject', JSON.stringify(review(POD)));
    assert.equal(
      unauthenticated.status,
      401,
      `no credential: ${unauthenticated.status} ${unauthenticated.body}`,
    );
    const wrong = await target.post(
      `/inject/cluster/${CLUSTER}/key/not-the-secret`,
      JSON.stringify(review(POD)),
    );
    assert.equal(wrong.status, 401, `wrong secret: ${wrong.status} ${wrong.body}`);

    const before = await injectedImage(target, 'path');
    assert.equal(before, first, `the store's bundle (${store.uri}) is not what was served`);
    assert.equal(await injectedImage(target, 'bearer'), first, 'bearer token');

    // Refresh: the next request after the TTL starts a background fetch; a later one sees its result.
    await store.publish(second);
    const published = Date.now();
    let after = before;
    while (after !== second) {
      assert.ok(
        Date.now() - published < 30 * TTL * 1000,
        `still ${after} ${30 * TTL} s after publishing ${second}`,
      );
      await sleep(50);
      after = await injectedImage(target, 'path');
      assert.ok(after === first || after === second, `unexpected image ${after}`);
    }
    const refreshMs = Date.now() - published;

    // Last known good: the store fails; once a refresh has failed (logged), the last good bundle answers.
    const logged = failureLines(target.stderr()).length;
    const callsBefore = store.calls();
    await store.fail();
    const failed = Date.now();
    let lastKnownGood = '';
    while (failureLines(target.stderr()).length === logged) {
      assert.ok(
        Date.now() - failed < 30 * TTL * 1000,
        `no "config refresh failed" line ${30 * TTL} s after the store failed`,
      );
      await sleep(50);
      lastKnownGood = await injectedImage(target, 'path');
      assert.equal(lastKnownGood, second, 'while the store fails');
    }
    const failureLogged = failureLines(target.stderr()).at(-1) ?? '';
    assert.match(failureLogged, /"serving":"last-known-good"/);
    if (callsBefore !== undefined)
      assert.ok((store.calls() ?? 0) > callsBefore, 'the failing store was not asked');
    // Past another TTL, with a refresh failing again meanwhile.
    await sleep(TTL * 1000 * 1.5);
    assert.equal(await injectedImage(target, 'bearer'), second, 'a TTL after the failure');
    await sleep(TTL * 1000 * 1.5);
    lastKnownGood = await injectedImage(target, 'path');
    assert.equal(lastKnownGood, second, 'two TTLs after the failure');
    return { store: store.name, before, after, refreshMs, lastKnownGood, failureLogged };
  } catch (err) {
    throw withOutput(err, target.describe());
  } finally {
    store.restore();
  }
}

/** The cache's "config refresh failed" lines in an artifact's stderr. */
export function failureLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.includes('"msg":"config refresh failed"'));
}

/** `err` with `output` added to its message; the original (assertion details and all) is the cause. */
export function withOutput(err: unknown, output: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${message}\n${output}`, { cause: err });
}

/** One line for the test's diagnostics. */
export function summary(label: string, r: ScenarioReport): string {
  const cause = String((JSON.parse(r.failureLogged) as { error?: unknown }).error ?? '').slice(0, 120);
  return (
    `${label} × ${r.store}: ${r.before} → ${r.after} in ${r.refreshMs} ms; ` +
    `store failed (${cause}) → still ${r.lastKnownGood}, allowed`
  );
}

/** An Injector over HTTP (a server artifact), with the content type an API server sends. */
export function httpInjector(
  label: string,
  server: { url: string; stderr(): string; describe(): string },
): Injector {
  return {
    label,
    post: async (path, body, headers = {}) => {
      const res = await httpRequest(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        timeoutMs: 10_000,
      });
      return { status: res.status, body: res.text };
    },
    stderr: () => server.stderr(),
    describe: () => server.describe(),
  };
}

/**
 * One test per store for an HTTP artifact: `start` it on the store's URI, then run the store scenario
 * through it. `tag` keeps the images of each artifact's tests apart.
 */
export function itServesEveryStore(
  label: string,
  tag: string,
  cases: () => Record<StoreCase['name'], StoreCase>,
  start: (store: StoreCase) => Promise<HttpArtifact>,
): void {
  for (const name of STORE_NAMES) {
    it(`${name}: the store's image, a new bundle within a few TTLs, the last good one while the store fails`, async (t) => {
      const store = cases()[name];
      const images: [string, string] = [
        `example.com/proxy:${tag}-${name}-1`,
        `example.com/proxy:${tag}-${name}-2`,
      ];
      await store.publish(images[0]);
      const server = await start(store);
      try {
        t.diagnostic(summary(label, await storeScenario(httpInjector(label, server), store, images)));
      } finally {
        await server.stop();
      }
    });
  }
}
