// Attacks on the BUILT entry points, each as an anonymous (or, where said, an authenticated) caller of
// the one public deployment that serves every cluster with failurePolicy: Fail. The server processes run
// under a 256 MiB instance's heap (harness/support/attacked-server.ts); after every attack the instance must
// be alive, answer /healthz within 1 s and still inject for another cluster (c2, its own key). Each test
// failed on the code before the fix it names (figures before → after are in the commit messages).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { patchedPod } from '../../harness/deploy/patched.ts';
import {
  type AttackedServer,
  C1,
  C2,
  C3,
  type Entry,
  startAttacked,
} from '../../harness/support/attacked-server.ts';
import { httpRequest } from '../../harness/support/http-request.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';
import { secretHash } from '../../lib/auth/secret-hash.ts';
import { CLUSTER_BODY_BYTES } from '../../lib/http/body-budget.ts';

const MiB = 1024 * 1024;
const LIMIT = 6 * MiB;
const JSON_CT = { 'content-type': 'application/json' };
/**
 * RSS that chunks read and dropped may take before V8 collects them (measured for 40 × 6 MiB: +39 MiB on
 * Node 20, +89 MiB on Node 24). Well under what keeping the bodies cost (+241 MiB).
 */
const DROPPED_GARBAGE_KIB = 128 * 1024;
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

/** An HTTP/1.1 request on a raw socket: the head, then `body` (maybe less than it declares), held open. */
interface Held {
  socket: Socket;
  /** The status line and body of the first answer, once it is complete; undefined if the socket closed first. */
  answer: Promise<{ status: number; headers: string; text: string; ms: number } | undefined>;
  /** Milliseconds from the first byte sent until the server closed the connection. */
  closed: Promise<number>;
  /** Resolves once every byte given so far has left this process. */
  flushed: () => Promise<void>;
}

function held(url: string, path: string, headers: Record<string, string>, body?: Buffer): Held {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const start = performance.now();
  const head =
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  socket.write(head);
  if (body) socket.write(body);
  socket.on('error', () => {});
  let received = Buffer.alloc(0);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - start)),
  );
  const answer = new Promise<Awaited<Held['answer']>>((resolve) => {
    const tryParse = () => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const headText = received.subarray(0, end).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headText)?.[1]);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headText)?.[1] ?? 0);
      if (received.length - end - 4 < length) return false;
      const text = received.subarray(end + 4, end + 4 + length).toString('utf8');
      resolve({ status, headers: headText, text, ms: performance.now() - start });
      return true;
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse();
    });
    socket.once('close', () => {
      if (!tryParse()) resolve(undefined);
    });
  });
  const flushed = () =>
    new Promise<void>((resolve) => {
      const check = () =>
        socket.writableLength === 0 || socket.destroyed ? resolve() : setTimeout(check, 20);
      check();
    });
  return { socket, answer, closed, flushed };
}

/** Resolves to `value` after `ms`, for racing an answer that may never come. */
const after_ = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms).unref());

/** Peak RSS sampled every 50 ms while `work` runs. */
async function peakRss<T>(
  server: AttackedServer,
  work: () => Promise<T>,
): Promise<{ peak: number; result: T }> {
  let peak = server.rssKiB();
  const timer = setInterval(() => {
    try {
      const now = server.rssKiB();
      if (Number.isFinite(now)) peak = Math.max(peak, now);
    } catch {
      // the process is gone: the assertion after says so
    }
  }, 50);
  try {
    const result = await work();
    return { peak, result };
  } finally {
    clearInterval(timer);
  }
}

/** A valid review first, so the baseline RSS includes the code and caches a real request loads. */
async function warm(server: AttackedServer): Promise<number> {
  await server.assertStillServes();
  return server.rssKiB();
}

async function withServers(entries: Entry[], run: (servers: AttackedServer[]) => Promise<void>) {
  const servers = await Promise.all(entries.map((e) => startAttacked(e)));
  try {
    await run(servers);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

// The Lambda bundle in this process: dist/aws.js reads the keys at import, and writes one log line per
// request to stdout, which is captured here instead.
type LambdaHandler = (
  event: unknown,
) => Promise<{ statusCode: number; body: string; headers: Record<string, string> }>;
let lambda: LambdaHandler;
const lambdaLines: string[] = [];
async function invoke(event: unknown) {
  const write = process.stdout.write;
  process.stdout.write = ((line: string) => lambdaLines.push(String(line)) > 0) as typeof write;
  try {
    return await lambda(event);
  } finally {
    process.stdout.write = write;
  }
}
function urlEvent(path: string, headers: Record<string, unknown>, body: unknown, base64 = false) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: { http: { method: 'POST', path, sourceIp: '203.0.113.9' }, stage: '$default' },
    body,
    isBase64Encoded: base64,
  };
}

before(async () => {
  await ensureBuilt();
  process.env.OUTRIGGER_AUTH_KEYS = JSON.stringify({
    [C1.cluster]: secretHash(C1.cluster, C1.secret),
    [C2.cluster]: secretHash(C2.cluster, C2.secret),
  });
  ({ handler: lambda } = (await import(`${ROOT}dist/aws.js`)) as { handler: LambdaHandler });
});
after(() => {
  delete process.env.OUTRIGGER_AUTH_KEYS;
});

describe('1. compressed bodies are refused before they are inflated (before: gcp inflated 481 B of br to 300 MB and aborted)', () => {
  // 300 MiB of spaces, brotli-compressed to a few hundred bytes; gzip for the Lambda (its event is small).
  const bomb = brotliCompressSync(Buffer.alloc(300 * MiB, 0x20), {
    params: { [constants.BROTLI_PARAM_QUALITY]: 5 },
  });

  it('dist/gcp.js and dist/server.js: anonymous → 401, with the c1 key → 415, RSS within 24 MiB, still serving', async (t: TestContext) => {
    await withServers(['gcp', 'server'], async (servers) => {
      for (const server of servers) {
        const base = await warm(server);
        const headers = { ...JSON_CT, 'content-encoding': 'br' };
        const { peak, result } = await peakRss(server, async () => {
          const anon = await httpRequest(`${server.url}/inject/cluster/c1`, {
            method: 'POST',
            headers,
            body: bomb,
            timeoutMs: 10_000,
          }).catch((e: Error) => ({ status: 0, text: e.message, ms: Number.NaN }));
          const keyed = await httpRequest(`${server.url}${server.injectPath(C1)}`, {
            method: 'POST',
            headers,
            body: bomb,
            timeoutMs: 10_000,
          }).catch((e: Error) => ({ status: 0, text: e.message, ms: Number.NaN }));
          await after_(300, undefined);
          return { anon, keyed };
        });
        t.diagnostic(
          `${server.entry}: ${bomb.length} B br body; anonymous ${result.anon.status} in ${result.anon.ms.toFixed(0)} ms, ` +
            `c1 ${result.keyed.status} in ${result.keyed.ms.toFixed(0)} ms; RSS ${mib(base)} → peak ${mib(peak)}; ` +
            `alive: ${server.exitCode() === null && server.signal() === null}`,
        );
        await server.assertStillServes();
        assert.equal(result.anon.status, 401, `${server.entry} anonymous: ${result.anon.text}`);
        assert.equal(result.keyed.status, 415, `${server.entry} c1: ${result.keyed.text}`);
        assert.equal(
          result.keyed.text,
          'unsupported Content-Encoding "br"; send the body uncompressed (identity)\n',
        );
        assert.ok(peak - base < 24 * 1024, `${server.entry}: RSS ${mib(base)} → ${mib(peak)}`);
      }
    });
  });

  it('Lambda (dist/aws.js): a gzip body with the c1 key → 415, not inflated or read as JSON', async () => {
    const gz = gzipSync(JSON.stringify(review(deploymentPod())));
    const out = await invoke(
      urlEvent(
        `/inject/cluster/c1/key/${C1.secret}`,
        { ...JSON_CT, 'content-encoding': 'gzip' },
        gz.toString('base64'),
        true,
      ),
    );
    assert.equal(out.statusCode, 415, out.body);
    assert.equal(out.body, 'unsupported Content-Encoding "gzip"; send the body uncompressed (identity)\n');
    const identity = await invoke(
      urlEvent(
        `/inject/cluster/c1/key/${C1.secret}`,
        { ...JSON_CT, 'content-encoding': 'identity' },
        JSON.stringify(review(deploymentPod())),
      ),
    );
    assert.equal(identity.statusCode, 200, identity.body);
  });
});

describe('2. bodies are not read before the answer is known from the headers (before: 40 × 6 MiB held by anonymous callers took RSS to 300+ MiB for 300 s)', () => {
  const body = Buffer.alloc(LIMIT - 1, 0x20);

  /**
   * 40 connections to `path`, each declaring LIMIT bytes and sending one less, then holding; `whileHeld`
   * runs once all are sent. The answers (within `answerMs` of that), the RSS peak meanwhile, and a
   * release that closes the connections.
   */
  async function holdBodies(
    server: AttackedServer,
    path: string,
    answerMs: number,
    whileHeld: () => Promise<unknown> = async () => {},
  ) {
    const conns: Held[] = [];
    const { peak, result } = await peakRss(server, async () => {
      for (let i = 0; i < 40; i++)
        conns.push(held(server.url, path, { ...JSON_CT, 'content-length': String(LIMIT) }, body));
      await Promise.all(conns.map((c) => Promise.race([c.flushed(), after_(15_000, undefined)])));
      await after_(500, undefined);
      await whileHeld();
      return Promise.all(conns.map((c) => Promise.race([c.answer, after_(answerMs, undefined)])));
    });
    return { peak, result, release: () => conns.forEach((c) => c.socket.destroy()) };
  }

  it('40 anonymous connections each sending 6 MiB − 1 of 6 MiB and holding: each gets 401 at once, no body is kept (RSS within 128 MiB: Node reading and dropping them)', async (t: TestContext) => {
    await withServers(['server', 'gcp'], async (servers) => {
      for (const server of servers) {
        const base = await warm(server);
        const { peak, result, release } = await holdBodies(server, '/inject/cluster/c1/net/n1', 2000);
        await server.assertStillServes();
        release();
        const statuses = result.map((a) => a?.status ?? 'none');
        const slowest = Math.max(...result.map((a) => a?.ms ?? Number.POSITIVE_INFINITY));
        t.diagnostic(
          `${server.entry}: 40 × ${LIMIT - 1} B held, anonymous; answers ${JSON.stringify(countOf(statuses))}, ` +
            `slowest ${slowest.toFixed(0)} ms; RSS ${mib(base)} → peak ${mib(peak)}`,
        );
        assert.deepEqual(countOf(statuses), { 401: 40 });
        // Nothing is kept, but the dropped chunks are garbage until V8 next collects (external memory).
        assert.ok(peak - base < DROPPED_GARBAGE_KIB, `${server.entry}: RSS ${mib(base)} → ${mib(peak)}`);
        await server.assertStillServes();
      }
    });
  });

  it('40 connections with the c1 key doing the same: bodies beyond the in-flight budget get 503 with Retry-After, c2 is served meanwhile, RSS within the cluster’s 40 MiB share + 128 MiB', async (t: TestContext) => {
    await withServers(['server', 'gcp'], async (servers) => {
      for (const server of servers) {
        const base = await warm(server);
        // While the attack holds: the bystander cluster is still answered.
        const { peak, result, release } = await holdBodies(server, server.injectPath(C1), 1000, () =>
          server.assertStillServes(),
        );
        release();
        const statuses = result.map((a) => a?.status ?? 'none');
        t.diagnostic(
          `${server.entry}: 40 × ${LIMIT - 1} B held with the c1 key; answers ${JSON.stringify(countOf(statuses))}; ` +
            `RSS ${mib(base)} → peak ${mib(peak)}`,
        );
        // One cluster's share holds this many bodies' bytes; every other body is refused.
        const fit = Math.floor(CLUSTER_BODY_BYTES / LIMIT);
        const busy = result.filter((a) => a?.status === 503);
        assert.ok(busy.length >= 40 - fit, JSON.stringify(countOf(statuses)));
        assert.match(busy[0]?.headers ?? '', /\r\nretry-after: 1(\r\n|$)/i);
        assert.ok(
          peak - base < CLUSTER_BODY_BYTES / 1024 + DROPPED_GARBAGE_KIB,
          `${server.entry}: RSS ${mib(base)} → ${mib(peak)}`,
        );
        await after_(200, undefined);
        await server.assertStillServes();
      }
    });
  });

  it('a body trickled one byte every 500 ms is cut by the request timeout (15 s), with or without a key; a silent connection after 10 s', async (t: TestContext) => {
    await withServers(['server', 'gcp'], async (servers) => {
      const results = await Promise.all(
        servers.map(async (server) => {
          await warm(server);
          const trickle = (path: string) => {
            const c = held(server.url, path, { ...JSON_CT, 'content-length': '1000' });
            const timer = setInterval(() => c.socket.write(' '), 500);
            void c.closed.then(() => clearInterval(timer));
            return c;
          };
          const keyed = trickle(server.injectPath(C1));
          const anon = trickle('/inject/cluster/c1');
          const { hostname, port } = new URL(server.url);
          const silent = connect(Number(port), hostname).on('error', () => {});
          const silentClosed = new Promise<number>((resolve) => {
            const start = performance.now();
            silent.once('close', () => resolve(performance.now() - start));
          });
          const cutBy = (closed: Promise<number>) =>
            Promise.race([closed, after_(25_000, Number.POSITIVE_INFINITY)]);
          const [keyedCut, anonCut, silentCut] = await Promise.all([
            cutBy(keyed.closed),
            cutBy(anon.closed),
            cutBy(silentClosed),
          ]);
          const anonAnswer = await Promise.race([anon.answer, after_(10, undefined)]);
          for (const socket of [keyed.socket, anon.socket, silent]) socket.destroy();
          const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
          t.diagnostic(
            `${server.entry}: trickled body cut after ${s(keyedCut)} with the c1 key, ${s(anonCut)} anonymous ` +
              `(answered ${anonAnswer?.status ?? 'none'} in ${anonAnswer?.ms.toFixed(0) ?? '-'} ms); ` +
              `silent connection closed after ${s(silentCut)}`,
          );
          return { server, keyedCut, anonCut, silentCut, anonAnswer };
        }),
      );
      for (const { server, keyedCut, anonCut, silentCut, anonAnswer } of results) {
        for (const ms of [keyedCut, anonCut])
          assert.ok(ms < 18_000, `${server.entry}: cut after ${ms.toFixed(0)} ms`);
        assert.ok(
          silentCut < 12_000,
          `${server.entry}: silent connection closed after ${silentCut.toFixed(0)} ms`,
        );
        assert.equal(anonAnswer?.status, 401);
        await server.assertStillServes();
      }
    });
  });
});

/** A review whose pod's first container has `envFrom: [{},{},...]` filling the body to about `bytes`. */
function envFromBomb(bytes: number, uid: string): string {
  const pod = deploymentPod('bomb') as { spec: { containers: Record<string, unknown>[] } };
  const shell = JSON.stringify(review({ ...pod }, { uid })).length;
  const count = Math.floor((bytes - shell - 16) / 3);
  (pod.spec.containers[0] as Record<string, unknown>).envFrom = '@@ENVFROM@@';
  return JSON.stringify(review(pod, { uid })).replace('"@@ENVFROM@@"', `[${'{},'.repeat(count - 1)}{}]`);
}

/** Two reviews of `body` from c1 and two from c3 at once, c2's injection checked while they are in flight. */
function fromTwoClusters(server: AttackedServer, body: string) {
  return peakRss(server, async () => {
    const attacks = [C1, C1, C3, C3].map((who) =>
      httpRequest(`${server.url}${server.injectPath(who)}`, {
        method: 'POST',
        headers: JSON_CT,
        body,
        timeoutMs: 30_000,
      }),
    );
    await server.assertStillServes({ reviewMs: 10_000 });
    return Promise.all(attacks);
  });
}

describe('6. memory follows what a body parses into, not its bytes (before: 6 MiB of empty objects took RSS 60 → 281 MiB, four from two clusters aborted the process)', () => {
  it('four 6 MiB reviews of empty envFrom entries from two clusters: 413 naming the estimate, unparsed; c2 injected during and after', async (t: TestContext) => {
    await withServers(['server', 'gcp'], async (servers) => {
      for (const server of servers) {
        const base = await warm(server);
        const bomb = envFromBomb(LIMIT - 1024, 'bomb');
        const { peak, result } = await fromTwoClusters(server, bomb);
        t.diagnostic(
          `${server.entry}: 4 × ${bomb.length} B of envFrom: [{},...]; answers ${JSON.stringify(countOf(result.map((r) => r.status)))}; ` +
            `${result[0]?.text.trim()}; RSS ${mib(base)} → peak ${mib(peak)}`,
        );
        for (const r of result) {
          assert.equal(r.status, 413, r.text);
          assert.match(
            r.text,
            /^request body would parse into about \d+ MiB \(\d+ bytes of JSON\); the limit is 40 MiB/,
          );
        }
        // The bodies' bytes and the chunks dropped after them; nothing was parsed.
        assert.ok(peak - base < DROPPED_GARBAGE_KIB, `${server.entry}: RSS ${mib(base)} → ${mib(peak)}`);
        await server.assertStillServes();
      }
    });
  });

  it('reviews just under the parse limit, two from each of two clusters: each answered (injected, or 503 while its cluster’s share is taken), and c2 injected meanwhile', async (t: TestContext) => {
    await withServers(['server', 'gcp'], async (servers) => {
      for (const server of servers) {
        const base = await warm(server);
        // Just under 40 MiB by the estimate (80 per empty object and its comma, 3 per byte): 30 MiB of
        // heap once parsed.
        const heavy = envFromBomb(1_400_000, 'heavy');
        const { peak, result } = await fromTwoClusters(server, heavy);
        const statuses = result.map((r) => r.status);
        t.diagnostic(
          `${server.entry}: 4 × ${heavy.length} B; answers ${JSON.stringify(countOf(statuses))}; RSS ${mib(base)} → peak ${mib(peak)}`,
        );
        assert.ok(
          statuses.every((s) => s === 200 || s === 503),
          JSON.stringify(countOf(statuses)),
        );
        assert.ok(statuses.filter((s) => s === 200).length >= 2, JSON.stringify(countOf(statuses)));
        await server.assertStillServes();
      }
    });
  });
});

describe('7. headers alone hold none of the body budget (before: four connections declaring 6 MiB with Expect: 100-continue made other clusters get 503 for 10 s)', () => {
  it('two clusters × two connections send only their headers: each is invited to send, and c2 is injected meanwhile', async () => {
    await withServers(['server', 'gcp'], async (servers) => {
      for (const server of servers) {
        await warm(server);
        const conns = [C1, C1, C3, C3].map((who) =>
          held(server.url, server.injectPath(who), {
            ...JSON_CT,
            'content-length': String(LIMIT),
            expect: '100-continue',
          }),
        );
        const interim = await Promise.all(
          conns.map((c) => Promise.race([c.answer, after_(5000, undefined)])),
        );
        assert.deepEqual(
          interim.map((a) => a?.status),
          [100, 100, 100, 100],
        );
        await server.assertStillServes();
        conns.forEach((c) => c.socket.destroy());
      }
    });
  });
});

describe('3. a 404 does not echo the path (before: it echoed a secret the key parser did not find)', () => {
  const secret = 'S3CRET-0123456789abcdef0123456789';
  const path = `//inject/cluster/c1/key/${secret}`;
  const want = 'no route; the webhook is at /inject\n';

  it('dist/server.js and dist/gcp.js', async () => {
    await withServers(['server', 'gcp'], async (servers) => {
      for (const server of servers) {
        const res = await httpRequest(`${server.url}${path}`, {
          method: 'POST',
          headers: JSON_CT,
          body: JSON.stringify(review(deploymentPod())),
        });
        assert.equal(res.status, 404, `${server.entry}: ${res.text}`);
        assert.equal(res.text, want);
        assert.ok(!server.output().includes(secret), `${server.entry}: the secret is in the log`);
        await server.assertStillServes();
      }
    });
  });

  it('Lambda (dist/aws.js)', async () => {
    lambdaLines.length = 0;
    const out = await invoke(urlEvent(path, JSON_CT, JSON.stringify(review(deploymentPod()))));
    assert.equal(out.statusCode, 404);
    assert.equal(out.body, want);
    assert.ok(!lambdaLines.join('').includes(secret));
  });
});

describe('4. functions-framework does not log a stack trace for a body that is not JSON (before: every anonymous one was logged)', () => {
  it('dist/gcp.js: anonymous → 401 and nothing logged but our line; with the c1 key → an AdmissionReview refusal; an undecodable path is answered, not an express error page', async (t: TestContext) => {
    await withServers(['gcp'], async ([server]) => {
      assert.ok(server);
      await warm(server);
      const anon = await httpRequest(`${server.url}/inject/cluster/c1`, {
        method: 'POST',
        headers: JSON_CT,
        body: '{"apiVersion":',
      });
      const keyed = await httpRequest(`${server.url}${server.injectPath(C1)}`, {
        method: 'POST',
        headers: JSON_CT,
        body: '{"apiVersion":',
      });
      // Express would refuse a path it cannot percent-decode with an HTML page, and log a stack trace.
      const pod = deploymentPod('bad-percent');
      const percent = await httpRequest(`${server.url}${server.injectPath(C1)}/x/%E0%A4%A`, {
        method: 'POST',
        headers: JSON_CT,
        body: JSON.stringify(review(pod)),
      });
      await after_(100, undefined);
      const output = server.output();
      const stackLines = output.split('\n').filter((l) => /^\s+at |SyntaxError|node_modules/.test(l));
      t.diagnostic(
        `gcp: anonymous non-JSON ${anon.status}, c1 non-JSON ${keyed.status}, c1 undecodable path ${percent.status}; ${stackLines.length} stack-trace lines logged`,
      );
      assert.equal(anon.status, 401, anon.text);
      assert.deepEqual(stackLines, []);
      assert.equal(keyed.status, 200, keyed.text);
      const answer = JSON.parse(keyed.text);
      assert.equal(answer.response.allowed, false);
      assert.match(answer.response.status.message, /^request body is not JSON: /);
      assert.equal(percent.status, 200, percent.text);
      patchedPod(JSON.parse(percent.text), pod);
      for (const line of output.split('\n').filter((l) => l.trim() !== '')) {
        assert.doesNotThrow(() => JSON.parse(line), `not a JSON log line: ${line}`);
      }
      await server.assertStillServes();
    });
  });
});

describe('5. the Lambda handler answers 400 for a body or header of the wrong type (before: four of these threw, a 502; three were read as if valid)', () => {
  const good = JSON.stringify(review(deploymentPod()));
  const path = `/inject/cluster/c1/key/${C1.secret}`;
  const cases: [string, unknown, RegExp][] = [
    ['body is a number', urlEvent(path, JSON_CT, 42), /^not an HTTP event: body must be a string/],
    [
      'body is an object',
      urlEvent(path, JSON_CT, { apiVersion: 'v1' }),
      /^not an HTTP event: body must be a string/,
    ],
    [
      'content-type is a number',
      urlEvent(path, { 'content-type': 5 }, good),
      /^not an HTTP event: header "content-type" must be a string/,
    ],
    [
      'authorization is a list',
      urlEvent(`/inject/cluster/c1`, { ...JSON_CT, authorization: [`Bearer ${C1.secret}`] }, good),
      /^not an HTTP event: header "authorization" must be a string/,
    ],
    [
      'content-encoding is an object',
      urlEvent(path, { ...JSON_CT, 'content-encoding': {} }, good),
      /^not an HTTP event: header "content-encoding" must be a string/,
    ],
    [
      'REST API multiValueHeaders value is a string',
      {
        httpMethod: 'POST',
        path,
        headers: JSON_CT,
        multiValueHeaders: { 'Content-Type': 'application/json' },
        body: good,
        isBase64Encoded: false,
      },
      /^not an HTTP event: multiValueHeaders "content-type" must be a list of strings/,
    ],
    [
      'isBase64Encoded is a string',
      urlEvent(path, JSON_CT, good, 'yes' as never),
      /^not an HTTP event: isBase64Encoded must be a boolean/,
    ],
  ];
  for (const [name, event, message] of cases) {
    it(`${name} → 400`, async () => {
      const out = await invoke(event).catch((err: Error) => assert.fail(`threw: ${err.stack}`));
      assert.equal(out.statusCode, 400, out.body);
      assert.match(out.body, message);
    });
  }

  it('a pod whose patch would pass the 6 MB response limit is refused naming the size (was: a 15 MB answer, which Lambda fails)', async () => {
    const pod = deploymentPod('wide') as { spec: { containers: unknown[] } };
    pod.spec.containers = Array.from({ length: 20_000 }, (_, i) => ({
      name: `c${i}`,
      image: 'registry.example/app:1',
      readinessProbe: { httpGet: { port: 8080, path: '/ready' } },
    }));
    const out = await invoke(
      urlEvent(`/inject/cluster/c1/key/${C1.secret}`, JSON_CT, JSON.stringify(review(pod))),
    );
    assert.equal(out.statusCode, 200);
    assert.ok(Buffer.byteLength(JSON.stringify(out)) < 6 * 1024 * 1024, `answer of ${out.body.length} bytes`);
    const response = JSON.parse(out.body).response;
    assert.equal(response.allowed, false);
    assert.match(
      response.status.message,
      /^the injected pod's patch is \d+ bytes, over the \d+ this platform can answer with/,
    );
  });

  it('and a valid review from c2 is still answered with a patch', async () => {
    const pod = deploymentPod('c2-lambda');
    const out = await invoke(
      urlEvent(`/inject/cluster/c2/key/${C2.secret}`, JSON_CT, JSON.stringify(review(pod))),
    );
    assert.equal(out.statusCode, 200, out.body);
    patchedPod(JSON.parse(out.body), pod);
  });
});

function countOf(values: (number | string)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
