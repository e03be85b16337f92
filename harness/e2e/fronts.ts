// What the API server calls in the e2e suite: the built artifacts behind an HTTPS front on loopback, as a
// platform puts them behind its own (a locally made CA stands in for the public one).
//   - dist/server.js, run alone from a copy of dist/, behind a TLS terminator (Cloud Run's front end);
//   - the Lambda zip from `serverless package`, behind a Function URL emulator: each HTTPS request becomes
//     the Function URL event (payload 2.0), invoked on one warm instance of the unpacked handler.
import { cpSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { functionUrlEvent } from '../deploy/aws-events.ts';
import { ensureBuilt, ROOT } from '../deploy/build.ts';
import {
  artifactEnv,
  assertNoNodeModulesAbove,
  type HttpArtifact,
  isolatedDir,
  removeDir,
  startHttpArtifact,
} from '../deploy/isolated.ts';
import { type LambdaPackage, packageLambda } from '../deploy/lambda-package.ts';
import { type LambdaInstance, startLambda } from '../deploy/lambda-invoker.ts';
import type { Leaf } from './certs.ts';

export type ArtifactName = 'server.js' | 'Lambda zip';
export const ARTIFACTS: ArtifactName[] = ['server.js', 'Lambda zip'];

/** An artifact behind its HTTPS front on a port fixed in advance (the API server's kubeconfig names it). */
export interface WebhookFront {
  label: ArtifactName;
  /** https://127.0.0.1:PORT */
  url: string;
  /** Starts the artifact with `env` (over the deployment's own), replacing a running one. */
  start(env: Record<string, string>): Promise<void>;
  /** Stops the artifact and the front: calls are refused, as when the function is gone. */
  stop(): Promise<void>;
  /** The artifact's output, for a failure message. */
  describe(): string;
  /** Removes what the front made (the artifact's folder). */
  dispose(): Promise<void>;
}

/** Listens on `port` with `server`, retrying while a just-closed listener releases it. */
async function listen(server: Server, port: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => (server.off('error', reject), resolve()));
      });
      return;
    } catch (err) {
      if (attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function close(server: Server | undefined, sockets: Set<Socket>): Promise<void> {
  if (!server?.listening) return;
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
}

/** A TLS terminator on `port` that passes each connection to `backend`, a plain HTTP port. */
export async function terminateTls(port: number, leaf: Leaf, backend: number, sockets = new Set<Socket>()) {
  const front = createTlsServer({ cert: leaf.cert, key: leaf.key }, (tls) => {
    const plain = connect(backend, '127.0.0.1');
    // A proxy's small writes must not wait for Nagle's algorithm (40 ms against a delayed ACK).
    plain.setNoDelay(true);
    tls.setNoDelay(true);
    sockets.add(tls).add(plain);
    const forget = () => (sockets.delete(tls), sockets.delete(plain));
    tls.on('close', forget).on('error', () => plain.destroy());
    plain.on('error', () => tls.destroy());
    tls.pipe(plain).pipe(tls);
  });
  await listen(front, port);
  return front;
}

/** dist/server.js copied alone into an empty folder, behind a TLS terminator on `port`. */
export async function serverFront(port: number, leaf: Leaf): Promise<WebhookFront> {
  await ensureBuilt();
  const app = isolatedDir('e2e-dist');
  cpSync(join(ROOT, 'dist'), app, { recursive: true });
  assertNoNodeModulesAbove(app);
  let server: HttpArtifact | undefined;
  let front: Server | undefined;
  const sockets = new Set<Socket>();
  const stop = async () => {
    await close(front, sockets);
    await server?.stop();
    server = undefined;
  };
  return {
    label: 'server.js',
    url: `https://127.0.0.1:${port}`,
    start: async (env) => {
      await stop();
      server = await startHttpArtifact('server.js', app, ['server.js'], artifactEnv(env));
      front = await terminateTls(port, leaf, Number(new URL(server.url).port), sockets);
    },
    stop,
    describe: () => server?.describe() ?? 'server.js: not running',
    dispose: async () => {
      await stop();
      removeDir(app);
    },
  };
}

/** The Lambda zip, unpacked alone, one warm instance behind a Function URL emulator on `port`. */
export async function lambdaFront(
  port: number,
  leaf: Leaf,
  params: Record<string, string>,
): Promise<WebhookFront> {
  const pkg: LambdaPackage = await packageLambda(params);
  let instance: LambdaInstance | undefined;
  let front: Server | undefined;
  const sockets = new Set<Socket>();
  const stop = async () => {
    await close(front, sockets);
    await instance?.stop();
    instance = undefined;
  };
  return {
    label: 'Lambda zip',
    url: `https://127.0.0.1:${port}`,
    start: async (env) => {
      await stop();
      const running = startLambda('Lambda zip', pkg.app, pkg.fn.Handler, pkg.functionEnv(env));
      instance = running;
      front = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const [path = '/', query] = (req.url ?? '/').split('?', 2);
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = `${v}`;
          const event = functionUrlEvent({
            method: req.method ?? 'POST',
            path,
            ...(query !== undefined && { query }),
            headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
          running.invoke(event, 30_000).then(
            (result) => {
              const r = result as {
                statusCode: number;
                headers?: Record<string, string>;
                body?: string;
                isBase64Encoded?: boolean;
              };
              const body = r.isBase64Encoded ? Buffer.from(r.body ?? '', 'base64') : (r.body ?? '');
              res.writeHead(r.statusCode, r.headers ?? {}).end(body);
            },
            // What a Function URL answers when the function fails.
            () =>
              res
                .writeHead(502, { 'content-type': 'application/json' })
                .end('{"Message":"Internal Server Error"}'),
          );
        });
      });
      front.on('connection', (s: Socket) => sockets.add(s).size && s.on('close', () => sockets.delete(s)));
      await listen(front, port);
    },
    stop,
    describe: () => instance?.describe() ?? 'Lambda zip: not running',
    dispose: async () => {
      await stop();
      pkg.remove();
    },
  };
}
