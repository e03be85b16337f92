// Real HTTP servers on loopback that speak just enough of the AWS Secrets Manager and Google Cloud
// Storage JSON APIs (and of the EC2 instance metadata service) for the official clients, with switches
// for the failures a config store has.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/**
 * up: normal; down: every connection is closed before an answer; slow: answers after `slowMs`;
 * corrupt: reads return an invalid bundle under a new version.
 */
export type StoreMode = 'up' | 'down' | 'slow' | 'corrupt';

/** What "corrupt" serves: a bundle whose values are a list, not a map. */
export const CORRUPT_BUNDLE = 'values: [not, a, map]\n';

export interface FakeStore {
  url: string;
  mode: StoreMode;
  slowMs: number;
  /** Requests received per operation (GetSecretValue, metadata, media, ...), answered or not. */
  calls: Record<string, number>;
  totalCalls(): number;
  resetCalls(): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: string | Buffer;
  type?: string;
}

type Route = (req: IncomingMessage, body: Buffer, mode: StoreMode) => { op: string; reply: () => Reply };

async function serve(route: Route): Promise<FakeStore> {
  const timers = new Set<NodeJS.Timeout>();
  const store: FakeStore = {
    url: '',
    mode: 'up',
    slowMs: 2000,
    calls: {},
    totalCalls: () => Object.values(store.calls).reduce((a, b) => a + b, 0),
    resetCalls: () => {
      store.calls = {};
    },
    close: () =>
      new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const { op, reply } = route(req, Buffer.concat(chunks), store.mode);
    store.calls[op] = (store.calls[op] ?? 0) + 1;
    if (store.mode === 'down') {
      req.socket.destroy();
      return;
    }
    const send = () => {
      const r = reply();
      res.writeHead(r.status, { 'content-type': r.type ?? 'application/json' }).end(r.body);
    };
    if (store.mode !== 'slow') return send();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) send();
    }, store.slowMs);
    timers.add(timer);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  store.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return store;
}

interface SecretVersion {
  id: string;
  text?: string;
  binary?: Buffer;
  stages: string[];
  created: number;
}

export interface FakeSecretsManager extends FakeStore {
  /** Stores a new version as AWSCURRENT (as PutSecretValue does) and returns its VersionId. */
  put(name: string, value: string | Buffer): string;
}

/**
 * The EC2 instance metadata service (IMDSv2) as far as the AWS SDK's region lookup goes: a session token
 * (`PUT /latest/api/token`), then `placement/region`. Point the SDK at it with
 * AWS_EC2_METADATA_SERVICE_ENDPOINT.
 */
export async function startInstanceMetadata(region: string): Promise<FakeStore> {
  return serve((req) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token')
      return { op: 'token', reply: () => ({ status: 200, body: 'imds-token', type: 'text/plain' }) };
    if (req.method === 'GET' && req.url === '/latest/meta-data/placement/region')
      return { op: 'region', reply: () => ({ status: 200, body: region, type: 'text/plain' }) };
    return { op: 'other', reply: () => ({ status: 404, body: '', type: 'text/plain' }) };
  });
}

/** Secrets Manager's JSON 1.1 protocol: GetSecretValue, PutSecretValue, CreateSecret. */
export async function startSecretsManager(): Promise<FakeSecretsManager> {
  const secrets = new Map<string, SecretVersion[]>();
  const arnOf = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-AbCdEf`;
  const find = (id: string) => {
    for (const [name, versions] of secrets) if (id === name || id === arnOf(name)) return { name, versions };
    return undefined;
  };
  const addVersion = (name: string, value: string | Buffer, id: string, stages = ['AWSCURRENT']) => {
    const versions = secrets.get(name) ?? [];
    for (const v of versions) {
      if (stages.includes('AWSCURRENT')) v.stages = v.stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : [];
      v.stages = v.stages.filter((s) => s === 'AWSPREVIOUS' || !stages.includes(s));
    }
    const version: SecretVersion = { id, stages, created: Date.now() / 1000 };
    if (typeof value === 'string') version.text = value;
    else version.binary = value;
    versions.push(version);
    secrets.set(name, versions);
    return version;
  };
  const json = (status: number, body: unknown): Reply => ({
    status,
    body: JSON.stringify(body),
    type: 'application/x-amz-json-1.1',
  });
  const notFound = () =>
    json(400, {
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });

  const store = await serve((req, body, mode) => {
    const op = String(req.headers['x-amz-target'] ?? '').replace('secretsmanager.', '');
    const input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    const reply = (): Reply => {
      if (op === 'GetSecretValue') {
        const secret = find(String(input.SecretId));
        const stage = typeof input.VersionStage === 'string' ? input.VersionStage : 'AWSCURRENT';
        const v =
          typeof input.VersionId === 'string'
            ? secret?.versions.find((x) => x.id === input.VersionId)
            : secret?.versions.find((x) => x.stages.includes(stage));
        if (!secret || !v) return notFound();
        const corrupt = mode === 'corrupt';
        return json(200, {
          ARN: arnOf(secret.name),
          Name: secret.name,
          VersionId: corrupt ? 'corrupt-version' : v.id,
          ...(v.binary && !corrupt
            ? { SecretBinary: v.binary.toString('base64') }
            : { SecretString: corrupt ? CORRUPT_BUNDLE : v.text }),
          VersionStages: v.stages,
          CreatedDate: v.created,
        });
      }
      if (op === 'PutSecretValue') {
        const secret = find(String(input.SecretId));
        if (!secret) return notFound();
        // The idempotency token: the same token and value are a no-op, another value an error.
        const same = secret.versions.find((x) => x.id === input.ClientRequestToken);
        if (same) {
          const value = secretValueOf(input);
          const held = same.text ?? same.binary;
          if (String(held) !== String(value))
            return json(400, {
              __type: 'ResourceExistsException',
              message: 'A version with this ClientRequestToken already exists with other content.',
            });
          return json(200, {
            ARN: arnOf(secret.name),
            Name: secret.name,
            VersionId: same.id,
            VersionStages: same.stages,
          });
        }
        const stages = Array.isArray(input.VersionStages) ? (input.VersionStages as string[]) : undefined;
        const v = addVersion(secret.name, secretValueOf(input), tokenOf(input), stages);
        return json(200, {
          ARN: arnOf(secret.name),
          Name: secret.name,
          VersionId: v.id,
          VersionStages: v.stages,
        });
      }
      if (op === 'CreateSecret') {
        const name = String(input.Name);
        if (secrets.has(name))
          return json(400, {
            __type: 'ResourceExistsException',
            message: `the secret ${name} already exists.`,
          });
        const v = addVersion(name, secretValueOf(input), tokenOf(input));
        return json(200, { ARN: arnOf(name), Name: name, VersionId: v.id });
      }
      return json(400, { __type: 'InvalidRequestException', message: `unsupported operation ${op}` });
    };
    return { op, reply };
  });
  return Object.assign(store, {
    put: (name: string, value: string | Buffer) => addVersion(name, value, randomUUID()).id,
  });
}

function secretValueOf(input: Record<string, unknown>): string | Buffer {
  return typeof input.SecretString === 'string'
    ? input.SecretString
    : Buffer.from(String(input.SecretBinary ?? ''), 'base64');
}

/** AWS uses the client's idempotency token as the VersionId; the SDK always sends one. */
function tokenOf(input: Record<string, unknown>): string {
  return typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
}

export interface FakeGcs extends FakeStore {
  /** Writes a new generation of an object and returns the generation. */
  put(bucket: string, name: string, data: string): string;
  /** Every generation of an object, oldest first (what a bucket with object versioning keeps). */
  generations(bucket: string, name: string): string[];
}

/** The GCS JSON API: object metadata, `alt=media` downloads and multipart uploads. */
export async function startGcs(): Promise<FakeGcs> {
  const objects = new Map<string, { generation: number; data: Buffer }[]>();
  let nextGeneration = 1_700_000_000_000_000;
  const put = (bucket: string, name: string, data: Buffer) => {
    const generation = nextGeneration++;
    const key = `${bucket}/${name}`;
    objects.set(key, [...(objects.get(key) ?? []), { generation, data }]);
    return metadata(bucket, name, generation, data);
  };
  const metadata = (bucket: string, name: string, generation: number | string, data: Buffer) => ({
    kind: 'storage#object',
    id: `${bucket}/${name}/${generation}`,
    bucket,
    name,
    generation: String(generation),
    metageneration: '1',
    contentType: 'application/octet-stream',
    size: String(data.length),
    // The client checks an upload against these, as GCS always sends them.
    md5Hash: createHash('md5').update(data).digest('base64'),
    crc32c: crc32c(data),
  });
  const json = (status: number, body: unknown): Reply => ({ status, body: JSON.stringify(body) });

  const store = await serve((req, body, mode) => {
    const url = new URL(req.url ?? '/', 'http://x');
    // The client adds /storage/v1 to apiEndpoint, but not to STORAGE_EMULATOR_HOST; accept both.
    const path = url.pathname.replace(/^\/(download\/)?storage\/v1/, '');
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (req.method === 'POST' && upload?.[1]) {
      const bucket = decodeURIComponent(upload[1]);
      const reply = (): Reply => {
        // ifGenerationMatch: 0 creates only; N replaces only generation N (GCS answers 412 otherwise).
        const wanted = url.searchParams.get('ifGenerationMatch');
        if (wanted !== null) {
          const name = uploadName(req, body, url);
          const live = objects.get(`${bucket}/${name}`)?.at(-1)?.generation ?? 0;
          if (String(live) !== wanted) {
            const message = 'At least one of the pre-conditions you specified did not hold.';
            return json(412, {
              error: { code: 412, message, errors: [{ message, reason: 'conditionNotMet' }] },
            });
          }
        }
        return json(200, uploadMultipart(req, body, url, bucket, put));
      };
      return { op: 'upload', reply };
    }
    const object = /^\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    const media = url.searchParams.get('alt') === 'media';
    const op = media ? 'media' : 'metadata';
    const reply = (): Reply => {
      if (req.method !== 'GET' || !object?.[1] || !object[2])
        return json(400, { error: { code: 400, message: `unsupported ${req.method} ${path}` } });
      const bucket = decodeURIComponent(object[1]);
      const name = decodeURIComponent(object[2]);
      if (mode === 'corrupt') {
        const bad = Buffer.from(CORRUPT_BUNDLE);
        return media ? { status: 200, body: bad } : json(200, metadata(bucket, name, 1, bad));
      }
      const versions = objects.get(`${bucket}/${name}`) ?? [];
      const wanted = url.searchParams.get('generation');
      const v = wanted ? versions.find((x) => String(x.generation) === wanted) : versions.at(-1);
      if (!v) {
        const message = `No such object: ${bucket}/${name}`;
        return json(404, { error: { code: 404, message, errors: [{ message, reason: 'notFound' }] } });
      }
      return media ? { status: 200, body: v.data } : json(200, metadata(bucket, name, v.generation, v.data));
    };
    return { op, reply };
  });
  return Object.assign(store, {
    put: (bucket: string, name: string, data: string) => put(bucket, name, Buffer.from(data)).generation,
    generations: (bucket: string, name: string) =>
      (objects.get(`${bucket}/${name}`) ?? []).map((v) => String(v.generation)),
  });
}

/** CRC-32C (Castagnoli), big-endian and base64 as GCS writes it. */
function crc32c(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

/** The multipart parts: a JSON metadata part, then the media part. */
function multipartParts(req: IncomingMessage, body: Buffer): Buffer[] {
  const boundary = /boundary="?([^";]+)"?/.exec(String(req.headers['content-type']))?.[1];
  if (!boundary) throw new Error('multipart upload without a boundary');
  return body
    .toString('latin1')
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((p) => {
      const start = p.indexOf('\r\n\r\n') + 4;
      return Buffer.from(p.slice(start, p.endsWith('\r\n') ? -2 : undefined), 'latin1');
    });
}

/** The object name of an upload: the `name` parameter, else the metadata part's. */
function uploadName(req: IncomingMessage, body: Buffer, url: URL): string {
  const [meta] = multipartParts(req, body);
  return (
    url.searchParams.get('name') ?? (JSON.parse(meta?.toString('utf8') ?? '{}') as { name: string }).name
  );
}

/** `uploadType=multipart`: a JSON metadata part, then the media part. */
function uploadMultipart(
  req: IncomingMessage,
  body: Buffer,
  url: URL,
  bucket: string,
  put: (bucket: string, name: string, data: Buffer) => unknown,
): unknown {
  const [meta, media] = multipartParts(req, body);
  if (!meta || !media) throw new Error('multipart upload without two parts');
  const name = url.searchParams.get('name') ?? (JSON.parse(meta.toString('utf8')) as { name: string }).name;
  return put(bucket, name, media);
}

export interface RunningS3 {
  url: string;
  /** Writes an object with a client of its own (not the code under test); returns the ETag. */
  put(bucket: string, key: string, text: string): Promise<string>;
  close(): Promise<void>;
}

/** s3rver, the real S3 protocol on loopback, with the given buckets. */
export async function startS3(buckets: string[]): Promise<RunningS3> {
  const directory = mkdtempSync(join(tmpdir(), 'outrigger-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const url = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint: url,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    url,
    put: async (bucket, key, text) =>
      (await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }))).ETag ?? '',
    close: async () => {
      client.destroy();
      // The SDK keeps connections alive; close() alone would wait for them.
      server.httpServer?.closeAllConnections();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Dummy AWS credentials and region for this process, so the SDK never looks further (no IMDS). The key
 * id is s3rver's built-in one, the only id it accepts (it does not check v4 signatures).
 */
export function useDummyCloudCredentials(): void {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}

export interface TestStores {
  sm: FakeSecretsManager;
  gcs: FakeGcs;
  s3: RunningS3;
  /** The environment pointing every client at these servers, with a short store timeout. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** All three stores on loopback, with bucket "outrigger" in S3. */
export async function startStores(): Promise<TestStores> {
  useDummyCloudCredentials();
  const [sm, gcs, s3] = await Promise.all([startSecretsManager(), startGcs(), startS3(['outrigger'])]);
  return {
    sm,
    gcs,
    s3,
    env: {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
      AWS_ENDPOINT_URL_S3: s3.url,
      STORAGE_EMULATOR_HOST: gcs.url,
      OUTRIGGER_CONFIG_TIMEOUT: '0.3',
    },
    close: async () => {
      await Promise.all([sm.close(), gcs.close(), s3.close()]);
    },
  };
}

/** A clock the test moves by hand, in seconds. */
export function fakeClock(start = 1_000_000_000) {
  let t = start;
  return {
    now: () => t,
    advance(seconds: number) {
      t += seconds * 1000;
    },
  };
}

/** Waits (briefly, in real time) until a background refresh has had its visible effect. */
export async function until(
  condition: () => boolean,
  what = 'the condition',
  timeoutMs = 2000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
