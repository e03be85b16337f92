// `npm run bench -- --e2e`: what a real kube-apiserver measures for Outrigger. dist/server.js and a no-op
// webhook (answers allowed, no patch) sit behind the same TLS front on the same API server (the e2e
// control plane, test/e2e); pods are created alternately in a namespace each selects, and the API
// server's own apiserver_admission_webhook_admission_duration_seconds gives p50 and p99 per webhook.
// Information, not a timed test.
import { spawn } from 'node:child_process';
import { secretHash } from '../lib/auth/secret-hash.ts';
import { makeCa, makeLeaf } from '../harness/e2e/certs.ts';
import {
  apply,
  createPod,
  namespace,
  plainWebhook,
  simplePod,
  webhookConfig,
} from '../harness/e2e/cluster.ts';
import { controlPlaneBuilt, startControlPlane } from '../harness/e2e/control-plane.ts';
import { serverFront, terminateTls } from '../harness/e2e/fronts.ts';
import { freePort } from '../harness/support/spawn-server.ts';

const NOOP = `require('node:http').createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d)).on('end', () => {
    const uid = body ? JSON.parse(body).request.uid : '';
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } }));
  });
}).listen(Number(process.env.PORT), '127.0.0.1');`;

const METRIC = 'apiserver_admission_webhook_admission_duration_seconds';

export async function measureE2eLatency(pods: number): Promise<string> {
  if (!controlPlaneBuilt())
    throw new Error('the control plane is not built: run bash test/controlplane/build.sh');
  const secret = 'bench-e2e-secret-0123456789abcdef';
  const cp = await startControlPlane();
  const ca = makeCa(cp.dir, 'webhook-ca');
  const leaf = makeLeaf(cp.dir, 'webhook', ca);
  const outrigger = await serverFront(await freePort(), leaf);
  const noopPort = await freePort();
  const noop = spawn(process.execPath, ['-e', NOOP], { env: { PORT: String(noopPort) }, stdio: 'ignore' });
  try {
    await outrigger.start({ OUTRIGGER_AUTH_KEYS: JSON.stringify({ c1: secretHash('c1', secret) }) });
    const noopFront = await terminateTls(await freePort(), leaf, noopPort);
    const noopUrl = `https://127.0.0.1:${(noopFront.address() as { port: number }).port}/noop`;
    await namespace(cp, 'injected', { 'istio-injection': 'enabled' });
    await namespace(cp, 'noop', { noop: 'yes' });
    await apply(
      cp,
      webhookConfig([
        '--url',
        `${outrigger.url}/inject/cluster/c1/key/${secret}/net/n1`,
        '--ca-bundle',
        ca.certFile,
      ]),
    );
    await apply(
      cp,
      JSON.stringify(plainWebhook('bench-noop', 'noop.bench.example', noopUrl, ca.pem, { noop: 'yes' })),
    );
    const took: Record<string, number[]> = { injected: [], noop: [] };
    for (let i = 0; i < pods; i++) {
      for (const ns of ['injected', 'noop']) {
        const start = performance.now();
        const r = await createPod(cp, ns, simplePod(`p${i}`));
        if (r.status !== 201) throw new Error(`pod ${ns}/p${i}: ${r.text}`);
        (took[ns] as number[]).push(performance.now() - start);
      }
    }
    const metrics = (await cp.api('GET', '/metrics')).text;
    noopFront.close();
    const rows = [
      ['Outrigger (dist/server.js)', 'namespace.sidecar-injector.outrigger.dev', 'injected'],
      ['no-op webhook', 'noop.bench.example', 'noop'],
    ].map(([label, name, ns]) => {
      const q = (p: number) => quantile(metrics, name as string, p);
      const c = (took[ns as string] as number[]).sort((a, b) => a - b);
      const at = (p: number) => (c[Math.min(c.length - 1, Math.floor(p * c.length))] as number).toFixed(1);
      return `| ${label} | ${ms(q(0.5))} | ${ms(q(0.99))} | ${at(0.5)} | ${at(0.99)} |`;
    });
    return [
      `${pods} pods per webhook, created alternately, on kube-apiserver 1.35.4 (loopback, node ${process.version})`,
      '',
      `| webhook | ${METRIC} p50 (ms) | p99 (ms) | pod creation p50 (ms) | p99 (ms) |`,
      '|---|---|---|---|---|',
      ...rows,
      '',
      `The API server's histogram has buckets at 5, 25, 100, 500 ms, ...; its quantiles are interpolated within them, as histogram_quantile does.`,
    ].join('\n');
  } finally {
    noop.kill();
    await outrigger.dispose();
    await cp.stop();
  }
}

const ms = (seconds: number) => (seconds * 1000).toFixed(1);

/** histogram_quantile over the webhook's `admit` buckets (not rejected), linear within a bucket. */
function quantile(metrics: string, webhook: string, q: number): number {
  const buckets = new Map<number, number>();
  const line = new RegExp(`^${METRIC}_bucket\\{([^}]*)\\} (\\S+)$`);
  for (const l of metrics.split('\n')) {
    const m = line.exec(l);
    if (!m) continue;
    const labels = m[1] as string;
    if (
      !labels.includes(`name="${webhook}"`) ||
      !labels.includes('rejected="false"') ||
      !labels.includes('type="admit"')
    )
      continue;
    const le = /le="([^"]+)"/.exec(labels)?.[1] as string;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(m[2]));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (!total) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return lower;
      return lower + ((bound - lower) * (rank - below)) / Math.max(count - below, 1);
    }
    lower = bound;
    below = count;
  }
  return lower;
}
