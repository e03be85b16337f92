// The instance's in-flight body budget (lib/http/body-budget.ts) is given back whatever happens to a
// request: answered, refused, or stranded in Node's pipeline queue when its connection dies.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { clusterConfigs } from '../../lib/config/cluster-configs.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { BodyBudget } from '../../lib/http/body-budget.ts';
import { createHandler } from '../../lib/http/handle.ts';
import { nodeFront, SERVER_OPTIONS, serveOn } from '../../lib/http/node-front.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lookup = clusterConfigs(DEFAULT_BUNDLE, 'default');
const budget = new BodyBudget();
let port = 0;
let server: ReturnType<typeof serveOn>;

before(async () => {
  // A config that takes a while, as a cold fetch from a store does: answers are pending for 300 ms.
  const handle = createHandler({
    revision: '',
    config: async (cluster) => {
      await sleep(300);
      return lookup(cluster);
    },
  });
  const front = nodeFront(handle, { budget });
  server = serveOn(
    createServer(SERVER_OPTIONS, (req, res) => front(req, res)),
    front,
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const body = `${JSON.stringify(review(deploymentPod('p')))}${' '.repeat(1_000_000)}`;
const request = `POST /inject/cluster/c1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await sleep(20);
}

describe('the body budget', () => {
  it('comes back when a connection dies with pipelined reviews still unanswered (was: held for good)', async () => {
    for (let round = 0; round < 3; round++) {
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((r) => socket.on('connect', () => r()));
      socket.on('error', () => {});
      socket.write(request + request);
      // Both bodies read, the first answer still pending: then the caller goes away.
      await until(() => budget.usedBytes >= 2 * Buffer.byteLength(body), 2000);
      assert.ok(budget.usedBytes > 0, 'the bodies were held while read');
      socket.destroy();
      await until(() => budget.usedBytes === 0, 2000);
      assert.equal(budget.usedBytes, 0, `round ${round + 1}`);
    }
  });

  it('comes back after answered reviews on one keep-alive connection, with no listener left behind', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((r) => socket.on('connect', () => r()));
      let answers = 0;
      socket.on('data', (d: Buffer) => {
        answers += (d.toString('latin1').match(/HTTP\/1\.1 200/g) ?? []).length;
      });
      for (let i = 0; i < 12; i++) socket.write(request);
      await until(() => answers === 12, 10_000);
      assert.equal(answers, 12);
      await until(() => budget.usedBytes === 0, 2000);
      assert.equal(budget.usedBytes, 0);
      socket.destroy();
      assert.deepEqual(
        warnings.map((w) => w.name),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('the body budget’s limits', () => {
  it('one cluster holds at most its share, any two at most the pair limit, so the others keep the rest', () => {
    const b = new BodyBudget(100, 40, 48);
    assert.equal(b.take('a', 40), true);
    assert.equal(b.take('a', 1), false, 'a’s share is full');
    assert.equal(b.take('b', 8), true);
    assert.equal(b.take('b', 1), false, 'a and b hold 48 together');
    assert.equal(b.take('c', 9), false, 'a and c would hold 49');
    assert.equal(b.take('c', 8), true);
    assert.equal(b.usedBytes, 56);
    b.give('a', 40);
    assert.equal(b.take('b', 30), true, 'with a gone, b and c hold 46');
    assert.equal(b.take('d', 100), false, 'never past the instance’s limit');
  });

  it('a refused take takes nothing', () => {
    const b = new BodyBudget(10, 10, 10);
    assert.equal(b.take('a', 11), false);
    assert.equal(b.usedBytes, 0);
  });
});
