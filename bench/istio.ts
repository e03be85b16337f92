// npm run bench -- --istio: Outrigger beside Istio's own injector, in one run on one machine, per
// review of the same corpus (hello, the Istio 1.30 goldens' pods, generated workloads, a pod with 2,000
// env vars as Istio's BenchmarkInjection makes it): istiod's webhook handler (serveInject on the Mux
// NewWebhook registers, test/istiod/oracle `bench`) against Outrigger's Lambda handler, both in
// process with the same 1.30 settings. Each Outrigger call gets a pod it has not seen (a label counts
// up), so its result cache never answers; Istio has none.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { bundleFromParts } from '../lib/cli/config-flags.ts';
import { compileBundle } from '../lib/config/compile.ts';
import { createHandler } from '../lib/http/handle.ts';
import { lambdaHandler } from '../lib/http/lambda.ts';
import type { JsonObject } from '../lib/json.ts';
import {
  injectorConfigMap,
  podsOf,
  releaseCases,
  releaseDefaults,
  releaseDocs,
} from '../harness/support/conformance.ts';
import { review } from '../harness/support/reviews.ts';
import { httpRequest } from '../harness/support/http-request.ts';
import { freePort } from '../harness/support/spawn-server.ts';
import { distinctWorkloads } from './lib/bodies.ts';
import { runLoad, startServer } from './lib/servers.ts';
import { median } from './lib/stats.ts';
import { parityCases, releaseOf } from '../harness/parity/run-parity.ts';
import { oracleBinary } from '../harness/parity/oracle.ts';

interface Row {
  name: string;
  istioNs: number;
  oursNs: number;
}

function corpus(generated: number): { name: string; pod: JsonObject }[] {
  const release = releaseOf('1.30');
  const out: { name: string; pod: JsonObject }[] = [];
  const seen = new Set<string>();
  for (const c of releaseCases(release)) {
    if (c.expectError || c.values || c.mesh || c.config || seen.has(c.input)) continue;
    seen.add(c.input);
    releaseDocs(release, c.input)
      .flatMap(podsOf)
      .forEach((pod, i) => out.push({ name: `golden ${c.input}${i ? ` #${i}` : ''}`, pod }));
  }
  for (const [i, c] of parityCases(7, generated).entries()) {
    const pods = podsOf(c.workload);
    if (pods[0]) out.push({ name: `generated #${i}`, pod: pods[0] });
  }
  const env = Array.from({ length: 2000 }, (_, i) => ({ name: `ENV_${i}`, value: `val-${i}` }));
  out.push({
    name: '2,000 env vars',
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'env' },
      spec: { containers: [{ name: 'app', image: 'app', env }] },
    },
  });
  return out;
}

/** The 1.30 chart's injector config, values and mesh config, as files `istio-oracle` reads. */
export function writeIstioSettings(dir: string): void {
  const release = releaseOf('1.30');
  const configMap = yaml.load(injectorConfigMap(release)) as { data: { config: string; values: string } };
  writeFileSync(join(dir, 'config'), configMap.data.config);
  writeFileSync(join(dir, 'values'), configMap.data.values);
  writeFileSync(join(dir, 'mesh'), yaml.dump(releaseDefaults(release).mesh));
}

/** A Function URL event (payload 2.0) posting `body` to /inject. */
function lambdaEvent(body: string) {
  return {
    version: '2.0',
    rawPath: '/inject',
    requestContext: { http: { method: 'POST', path: '/inject' } },
    headers: { 'content-type': 'application/json' },
    body,
    isBase64Encoded: false,
  };
}

function isInjected(out: { statusCode: number; body: string }): boolean {
  return out.statusCode === 200 && out.body.includes('"allowed":true') && out.body.includes('"patch"');
}

export async function measureBesideIstio(quick: boolean): Promise<string> {
  const binary = oracleBinary('1.30');
  if (!binary) throw new Error('istio-oracle-1.30 is not built: bash test/controlplane/build.sh');
  const release = releaseOf('1.30');
  const defaults = releaseDefaults(release);
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-istio-bench-'));
  try {
    writeIstioSettings(dir);
    const config = compileBundle(
      bundleFromParts({
        layers: [],
        profile: release.profile,
        values: defaults.values,
        mesh: defaults.mesh,
        set: [],
        source: 'bench',
      }),
      'bench',
    );
    const handler = lambdaHandler(createHandler({ revision: '', config: async () => config }));
    const cases = corpus(quick ? 20 : 100).filter((c) => c.pod.spec);
    const all = cases.map((c) => ({
      name: c.name,
      body: review({ ...c.pod, metadata: { ...(c.pod.metadata as JsonObject), namespace: 'default' } }),
    }));
    // Only the reviews both inject: a generated pod may be skipped or refused (an invalid annotation),
    // which is another, cheaper path on both sides.
    const bodies = [];
    for (const b of all) if (isInjected(await handler(lambdaEvent(JSON.stringify(b.body))))) bodies.push(b);
    writeFileSync(join(dir, 'reviews'), bodies.map((b) => JSON.stringify(b)).join('\n'));
    const minTime = quick ? '100ms' : '400ms';
    const istio = new Map<string, number>();
    for (const line of execFileSync(
      binary,
      ['bench', '--dir', dir, '--native', '--reviews', join(dir, 'reviews'), '--min-time', minTime],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    )
      .trim()
      .split('\n')) {
      const r = JSON.parse(line) as { name: string; nsPerOp: number };
      istio.set(r.name, r.nsPerOp);
    }

    const rows: Row[] = [];
    const minMs = quick ? 100 : 400;
    for (const b of bodies) {
      const marker = '"outrigger.bench/i":"__N__"';
      const text = JSON.stringify(b.body).replace('"labels":{', `"labels":{${marker},`);
      const [pre, post] = text.includes(marker)
        ? (text.split('__N__') as [string, string])
        : (JSON.stringify(b.body)
            .replace('"metadata":{', `"metadata":{"labels":{${marker}},`)
            .split('__N__') as [string, string]);
      let n = 0;
      const call = async () => {
        const out = await handler(lambdaEvent(pre + n++ + post));
        if (!isInjected(out)) throw new Error(`${b.name}: ${out.statusCode} ${out.body.slice(0, 300)}`);
      };
      for (let i = 0; i < 20; i++) await call();
      const start = performance.now();
      let calls = 0;
      while (performance.now() - start < minMs) {
        for (let i = 0; i < 10; i++) await call();
        calls += 10;
      }
      rows.push({
        name: b.name,
        istioNs: istio.get(b.name) ?? Number.NaN,
        oursNs: ((performance.now() - start) / calls) * 1e6,
      });
    }
    const ratios = rows.map((r) => r.oursNs / r.istioNs);
    const pick = (name: string) => rows.find((r) => r.name === name);
    const lines = [
      `Outrigger (Lambda handler, in process, Node ${process.versions.node}) beside istiod's serveInject (in process, Go), Istio 1.30 settings, native sidecars; ${rows.length} reviews`,
      '',
      '| review | Istio µs | Outrigger µs | Outrigger / Istio |',
      '|---|---|---|---|',
    ];
    for (const name of ['golden hello.yaml', '2,000 env vars']) {
      const r = pick(name);
      if (r)
        lines.push(
          `| ${name} | ${(r.istioNs / 1000).toFixed(0)} | ${(r.oursNs / 1000).toFixed(0)} | ${(r.oursNs / r.istioNs).toFixed(2)} |`,
        );
    }
    const group = (prefix: string) =>
      rows.filter((r) => r.name.startsWith(prefix)).map((r) => r.oursNs / r.istioNs);
    for (const [label, prefix] of [
      ['goldens (median)', 'golden'],
      ['generated (median)', 'generated'],
    ] as const) {
      const g = group(prefix);
      if (g.length) lines.push(`| ${label}, ${g.length} | | | ${median(g).toFixed(2)} |`);
    }
    lines.push(`| all (median), ${rows.length} | | | ${median(ratios).toFixed(2)} |`);
    lines.push(
      '',
      `Goal: Outrigger at most 0.5x Istio's time per review; ${ratios.filter((x) => x <= 0.5).length} of ${rows.length} reviews meet it.`,
    );
    return lines.join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Requests per second per core over HTTP: istiod's webhook handler served by `istio-oracle serve`
 * (GOMAXPROCS=1) against dist/server.js (one Node thread), each loaded in turn with distinct workloads
 * by autocannon from this process.
 */
export async function measureHttpBesideIstio(quick: boolean): Promise<string> {
  const binary = oracleBinary('1.30');
  if (!binary) throw new Error('istio-oracle-1.30 is not built: bash test/controlplane/build.sh');
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-istio-http-'));
  writeIstioSettings(dir);
  const port = await freePort();
  const istiod = spawn(binary, ['serve', '--dir', dir, '--native', '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, GOMAXPROCS: '1' },
    stdio: 'ignore',
  });
  const workload = distinctWorkloads(5_000_000);
  let sent = 0;
  const next = () => workload(sent++);
  const body = next();
  const ours = await startServer('server', body);
  try {
    const istioUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await httpRequest(`${istioUrl}/healthz`, { timeoutMs: 1000 })).status === 200) break;
      } catch {
        if (i > 200) throw new Error('istio-oracle serve did not start');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = await httpRequest(`${istioUrl}/inject`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      timeoutMs: 5000,
    });
    if (!first.text.includes('"patch"'))
      throw new Error(`istiod did not inject: ${first.text.slice(0, 300)}`);
    const seconds = quick ? 2 : 5;
    const rounds = quick ? 1 : 3;
    const istio: number[] = [];
    const outrigger: number[] = [];
    for (let r = 0; r < rounds; r++) {
      istio.push((await runLoad(istioUrl, next, seconds, 16)).rps);
      outrigger.push((await runLoad(ours.url, next, seconds, 16)).rps);
    }
    const i = median(istio);
    const o = median(outrigger);
    return [
      '',
      `HTTP, one core each, distinct workloads, 16 connections, ${rounds} × ${seconds} s: istiod's serveInject ${i.toFixed(0)} requests/s, dist/server.js ${o.toFixed(0)} requests/s: ${(o / i).toFixed(2)}x`,
    ].join('\n');
  } finally {
    istiod.kill();
    await ours.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
