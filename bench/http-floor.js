// The http floor: a plain node:http server that reads the AdmissionReview body, JSON.parses it and
// answers a fixed small AdmissionReview. Usage: node bench/http-floor.js PORT
import { createRequire } from 'node:module';

// Required, as the bundles do (scripts/build.ts): on Node 24 importing node:http as an ES module costs a
// start 30-40 ms, which a floor must not carry.
const { createServer } = createRequire(import.meta.url)('node:http');

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const answer = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: '0b5a4e5c-7d3f-4a8e-9a43-1f0c2d7e9b11', allowed: true },
});

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'POST') {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('not JSON\n');
        return;
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
  });
}).listen(port, '127.0.0.1');
