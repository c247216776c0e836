// Test-time TLS material made with the openssl CLI: a CA, a server certificate for
// 127.0.0.1/localhost, a client certificate, and an unrelated CA with its own client
// certificate (to check that the server refuses it). EC P-256 keys: fast to make.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertPaths {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherCa: string;
  otherClientCert: string;
  otherClientKey: string;
}

/** PEM contents, plus where each one is on disk. */
export type Certs = CertPaths & { paths: CertPaths };

const FILES: CertPaths = {
  ca: 'ca.pem',
  serverCert: 'server-cert.pem',
  serverKey: 'server-key.pem',
  clientCert: 'cert.pem',
  clientKey: 'key.pem',
  otherCa: 'other-ca.pem',
  otherClientCert: 'other-cert.pem',
  otherClientKey: 'other-key.pem',
};
const KEYS = Object.keys(FILES) as (keyof CertPaths)[];
const MANIFEST = 'certs.complete';

const cache = new Map<string, Promise<Certs>>();

/** Makes (once per dir and process; reused from disk when complete) the test certificates in `dir`. */
export function makeCerts(dir: string): Promise<Certs> {
  let p = cache.get(dir);
  if (!p) {
    p = load(dir).then((found) => found ?? generate(dir));
    p.catch(() => cache.delete(dir));
    cache.set(dir, p);
  }
  return p;
}

async function load(dir: string): Promise<Certs | undefined> {
  let madeAt: number;
  try {
    madeAt = Number((await readFile(join(dir, MANIFEST), 'utf8')).trim());
  } catch {
    return undefined;
  }
  // a set older than a day is remade: the certificates are valid for two days
  const age = Date.now() - madeAt;
  if (!(age >= 0 && age < 86_400_000)) return undefined;
  const paths = pathsIn(dir);
  try {
    return withPaths(await Promise.all(KEYS.map((k) => readFile(paths[k], 'utf8'))), paths);
  } catch {
    return undefined;
  }
}

function pathsIn(dir: string): CertPaths {
  return Object.fromEntries(KEYS.map((k) => [k, join(dir, FILES[k])])) as unknown as CertPaths;
}

function withPaths(pem: string[], paths: CertPaths): Certs {
  const out = Object.fromEntries(KEYS.map((k, i) => [k, pem[i]!])) as unknown as CertPaths;
  return { ...out, paths };
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('makeCerts: the openssl CLI is not installed (apt-get install openssl)');
    throw new Error(`makeCerts: openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

const genKey = (cwd: string, out: string): Promise<void> =>
  openssl(cwd, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);

async function makeCa(cwd: string, name: string, cn: string): Promise<void> {
  await genKey(cwd, `${name}-key.pem`);
  await openssl(cwd, [
    'req', '-x509', '-new', '-key', `${name}-key.pem`, '-sha256', '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', `${name}.pem`,
  ]);
}

async function makeLeaf(cwd: string, ca: string, name: string, cn: string, ext: string): Promise<void> {
  await genKey(cwd, `${name}-key.pem`);
  await openssl(cwd, ['req', '-new', '-key', `${name}-key.pem`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
  await writeFile(join(cwd, `${name}.ext`), ext);
  const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
  await openssl(cwd, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-set_serial', serial,
    '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}-cert.pem`,
  ]);
}

async function generate(dir: string): Promise<Certs> {
  await mkdir(dir, { recursive: true });
  // build in a private folder, then move the files in: a half-made set is never visible
  const tmp = await mkdtemp(join(dir, '.certs-'));
  try {
    await Promise.all([makeCa(tmp, 'ca', 'fake-engine test CA'), makeCa(tmp, 'other-ca', 'unrelated test CA')]);
    const leaf = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n';
    await Promise.all([
      makeLeaf(tmp, 'ca', 'server', 'localhost', `${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n`),
      makeLeaf(tmp, 'ca', 'client', 'fake-engine-client', `${leaf}extendedKeyUsage=clientAuth\n`),
      makeLeaf(tmp, 'other-ca', 'other', 'other-client', `${leaf}extendedKeyUsage=clientAuth\n`),
    ]);
    const made: CertPaths = {
      ca: 'ca.pem',
      serverCert: 'server-cert.pem',
      serverKey: 'server-key.pem',
      clientCert: 'client-cert.pem',
      clientKey: 'client-key.pem',
      otherCa: 'other-ca.pem',
      otherClientCert: 'other-cert.pem',
      otherClientKey: 'other-key.pem',
    };
    const paths = pathsIn(dir);
    await rm(join(dir, MANIFEST), { force: true });
    for (const k of KEYS) await rename(join(tmp, made[k]), paths[k]);
    await writeFile(join(dir, MANIFEST), `${Date.now()}\n`);
    const pem = await Promise.all(KEYS.map((k) => readFile(paths[k], 'utf8')));
    return withPaths(pem, paths);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
