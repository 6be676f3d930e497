import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private CA, a server certificate for localhost / 127.0.0.1 and a client certificate, as files and PEM text. */
export interface TestCertificates {
  dir: string;
  paths: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
  pem: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
}

const openssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const newKey = (dir: string, name: string) =>
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name);

/** A certificate and key for `name` (files `<name>.pem`, `<name>.key` in `dir`), signed by the CA there. */
function issue(dir: string, name: string, cn: string, extensions: string): { cert: string; key: string } {
  newKey(dir, `${name}.key`);
  openssl(dir, 'req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    dir,
    ...`x509 -req -in ${name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ${name}.ext -out ${name}.pem`.split(' '),
  );
  return { cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

/** Another client certificate of the same CA (a renewal), as PEM text. */
export const issueClientCertificate = (certs: TestCertificates, name: string, cn: string) =>
  issue(certs.dir, name, cn, 'extendedKeyUsage=clientAuth\n');

/** Made with the machine's openssl (EC P-256 keys: fast), into a fresh temporary directory. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
  newKey(dir, 'ca.key');
  openssl(dir, 'req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=deploy-webhooks test CA', '-days', '2', '-out', 'ca.pem');
  issue(dir, 'server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue(dir, 'client', 'deploy-webhooks worker', 'extendedKeyUsage=clientAuth\n');
  const paths = {
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
  const pem = Object.fromEntries(
    Object.entries(paths).map(([name, path]) => [name, readFileSync(path, 'utf8')]),
  ) as TestCertificates['pem'];
  return { dir, paths, pem };
}
