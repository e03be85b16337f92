// A real Kubernetes control plane on loopback for the e2e suite: etcd, kube-apiserver and
// kube-controller-manager, built from their Go modules by test/controlplane/build.sh (1.35.4). No kubelet
// and no scheduler: pods are admitted and stored, which is all an injector takes part in.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../deploy/build.ts';
import { type Child, startChild } from '../deploy/isolated.ts';
import { freePort } from '../support/spawn-server.ts';
import { type Ca, makeCa, makeKeyPair, makeLeaf } from './certs.ts';

export const BIN = join(ROOT, '.scratch', 'controlplane');

/** A user the API server presents to a webhook, by the webhook URL's host (`host:port`). */
export interface WebhookUser {
  host: string;
  token: string;
}

export interface ApiResponse {
  status: number;
  text: string;
  json: any;
}

export interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  url: string;
  kubeconfig: string;
  /** The CA of the API server's serving certificate. */
  ca: Ca;
  /** The folder for files of this run (certificates, manifests); removed by stop(). */
  dir: string;
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse>;
  /**
   * kubectl of the same release, on this API server. Asynchronous: the webhook fronts run in this
   * process, and a synchronous child would stop them from answering the API server's calls.
   */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** The components' output, for a failure message. */
  describe(): string;
  stop(): Promise<void>;
}

const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

export function controlPlaneBuilt(): boolean {
  return ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'].every((b) =>
    existsSync(join(BIN, b)),
  );
}

/**
 * Starts etcd, the API server (with an AdmissionConfiguration whose kubeconfig gives each of
 * `webhookUsers` its bearer token, as docs/security.md, "Caller authentication", sets it up) and the
 * controller manager, and waits until namespaces get their `default` service account.
 */
export async function startControlPlane(webhookUsers: WebhookUser[] = []): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-e2e-'));
  const children: Child[] = [];
  const describe = () => children.map((c) => c.describe()).join('\n');
  const stop = async () => {
    for (const c of [...children].reverse()) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ca = makeCa(dir, 'cluster-ca');
    const serving = makeLeaf(dir, 'apiserver', ca);
    const sa = makeKeyPair(dir, 'service-accounts');
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const url = `https://127.0.0.1:${apiPort}`;

    const etcd = startChild(
      'etcd',
      dir,
      etcdArgs(dir, etcdPort, peerPort),
      {},
      { command: join(BIN, 'etcd') },
    );
    children.push(etcd);
    await waitFor('etcd', etcd, async () =>
      (await plainGet(`http://127.0.0.1:${etcdPort}/health`)).includes('true'),
    );

    writeFileSync(join(dir, 'tokens.csv'), `${ADMIN_TOKEN},e2e-admin,e2e-admin,"system:masters"\n`);
    writeFileSync(join(dir, 'admission.yaml'), admissionConfig(join(dir, 'webhook-users.kubeconfig')));
    writeFileSync(join(dir, 'webhook-users.kubeconfig'), webhookKubeconfig(webhookUsers));
    const kubeconfig = join(dir, 'admin.kubeconfig');
    writeFileSync(kubeconfig, adminKubeconfig(url, ca.certFile));

    const apiserver = startChild(
      'kube-apiserver',
      dir,
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${serving.certFile}`,
        `--tls-private-key-file=${serving.keyFile}`,
        `--client-ca-file=${ca.certFile}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        `--service-account-key-file=${sa.pubFile}`,
        `--service-account-signing-key-file=${sa.keyFile}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--allow-privileged=true',
        `--admission-control-config-file=${join(dir, 'admission.yaml')}`,
        `--cert-dir=${dir}`,
        '--v=1',
      ],
      {},
      { command: join(BIN, 'kube-apiserver') },
    );
    children.push(apiserver);
    const api = apiClient(url, ca.pem);
    await waitFor(
      'kube-apiserver',
      apiserver,
      async () => (await api('GET', '/readyz')).status === 200,
      90_000,
    );

    const kcm = startChild(
      'kube-controller-manager',
      dir,
      [
        `--kubeconfig=${kubeconfig}`,
        `--service-account-private-key-file=${sa.keyFile}`,
        `--root-ca-file=${ca.certFile}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--use-service-account-credentials=false',
        '--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller',
        '--v=1',
      ],
      {},
      { command: join(BIN, 'kube-controller-manager') },
    );
    children.push(kcm);
    await waitFor(
      'kube-controller-manager',
      kcm,
      async () => (await api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
      60_000,
    );

    return {
      url,
      kubeconfig,
      ca,
      dir,
      api,
      kubectl: (args, input) =>
        new Promise((resolve) => {
          const child = execFile(
            join(BIN, 'kubectl'),
            [`--kubeconfig=${kubeconfig}`, ...args],
            { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 },
            (err, stdout, stderr) =>
              resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
          );
          child.stdin?.end(input ?? '');
        }),
      describe,
      stop,
    };
  } catch (err) {
    const message = `${(err as Error).message}\n${describe()}`;
    await stop();
    throw new Error(message, { cause: err });
  }
}

function etcdArgs(dir: string, port: number, peer: number): string[] {
  return [
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${port}`,
    `--advertise-client-urls=http://127.0.0.1:${port}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=default=http://127.0.0.1:${peer}`,
    // A test cluster's data is thrown away: no fsync per write.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

function admissionConfig(kubeconfig: string): string {
  return JSON.stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AdmissionConfiguration',
    plugins: [
      {
        name: 'MutatingAdmissionWebhook',
        configuration: {
          apiVersion: 'apiserver.config.k8s.io/v1',
          kind: 'WebhookAdmissionConfiguration',
          kubeConfigFile: kubeconfig,
        },
      },
    ],
  });
}

/** The kubeconfig of docs/security.md, "Caller authentication": a user per webhook host with its token. */
function webhookKubeconfig(users: WebhookUser[]): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    users: users.map((u) => ({ name: u.host, user: { token: u.token } })),
  });
}

function adminKubeconfig(url: string, caFile: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server: url, 'certificate-authority': caFile } }],
    users: [{ name: 'admin', user: { token: ADMIN_TOKEN } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'admin' } }],
    'current-context': 'e2e',
  });
}

function apiClient(base: string, ca: string) {
  return (method: string, path: string, body?: unknown, contentType = 'application/json') =>
    new Promise<ApiResponse>((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = request(
        `${base}${path}`,
        {
          method,
          ca,
          agent: false,
          headers: {
            authorization: `Bearer ${ADMIN_TOKEN}`,
            accept: 'application/json',
            ...(data !== undefined && { 'content-type': contentType }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, text, json });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      req.end(data);
    });
}

async function plainGet(url: string): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return r.text();
}

async function waitFor(label: string, child: Child, ready: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await ready()) return;
    } catch {
      // not up yet
    }
    if (child.process.exitCode !== null) throw new Error(`${label} exited (${child.process.exitCode})`);
    if (Date.now() > deadline) throw new Error(`${label} was not ready in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
