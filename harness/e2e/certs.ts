// Certificates for the e2e control plane and the webhook fronts, made with the machine's openssl: a CA
// and leaf certificates for 127.0.0.1, as a cluster operator would make them for a private endpoint.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Ca {
  certFile: string;
  keyFile: string;
  pem: string;
}

export interface Leaf {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

export function makeCa(dir: string, name: string): Ca {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`].concat([
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]),
  );
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

/** A serving certificate for 127.0.0.1 and localhost, signed by `ca`. */
export function makeLeaf(dir: string, name: string, ca: Ca): Leaf {
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > '${ext}'`]);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', keyFile, '-out', csr]);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial'].concat([
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      certFile,
    ]),
  );
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** An RSA key pair for the service account token signer. */
export function makeKeyPair(dir: string, name: string): { keyFile: string; pubFile: string } {
  const keyFile = join(dir, `${name}.key`);
  const pubFile = join(dir, `${name}.pub`);
  openssl(['genrsa', '-out', keyFile, '2048']);
  openssl(['rsa', '-in', keyFile, '-pubout', '-out', pubFile]);
  return { keyFile, pubFile };
}
