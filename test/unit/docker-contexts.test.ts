import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { contextId, contextStoreDir, readDockerContexts, type DockerContextsOptions } from '../../src/config/docker-contexts.ts';
import { fifoWithLateWriter } from '../support/fifo.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfe-contexts-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let stores = 0;

/** A store as `docker context create` (docker 28) writes it. */
function store(contexts: { name: string; host: string; skip?: boolean; tls?: ('ca' | 'cert' | 'key')[] }[]): string {
  const dir = path.join(tmp, `store-${++stores}`);
  for (const c of contexts) {
    const id = contextId(c.name);
    const meta = path.join(dir, 'contexts', 'meta', id);
    fs.mkdirSync(meta, { recursive: true });
    fs.writeFileSync(
      path.join(meta, 'meta.json'),
      JSON.stringify({ Name: c.name, Metadata: {}, Endpoints: { docker: { Host: c.host, SkipTLSVerify: c.skip ?? false } } }),
    );
    if (c.tls) {
      const tls = path.join(dir, 'contexts', 'tls', id, 'docker');
      fs.mkdirSync(tls, { recursive: true });
      for (const f of c.tls) fs.writeFileSync(path.join(tls, `${f}.pem`), `${f}\n`, { mode: 0o600 });
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const read = (dir: string, more: Partial<DockerContextsOptions> = {}) =>
  readDockerContexts({ dir, include: [], exclude: [], homeDir: '/home/me', ...more });

describe('Docker context store', () => {
  test('the directory is named by the sha256 of the context name, as the docker CLI names it', () => {
    // `docker context create unixy` made contexts/meta/d1ee9d0f...42f0 (docker 28.2.2)
    assert.equal(contextId('unixy'), 'd1ee9d0f2cf4061c484bcb7c03bd697edfa5eb3b9504b5476ec6ebdc99ed54ab');
  });

  test('$DOCKER_CONFIG, else ~/.docker', () => {
    assert.equal(contextStoreDir({ DOCKER_CONFIG: '/etc/dc' }, '/home/me'), '/etc/dc');
    assert.equal(contextStoreDir({ DOCKER_CONFIG: '' }, '/home/me'), '/home/me/.docker');
    assert.equal(contextStoreDir({}, '/home/me'), '/home/me/.docker');
  });

  test('each context becomes a host item named after it: unix, tcp with TLS, tcp without, ssh', () => {
    const dir = store([
      { name: 'local-sock', host: 'unix:///var/run/docker.sock' },
      { name: 'prod-tls', host: 'tcp://10.0.0.5:2376', tls: ['ca', 'cert', 'key'] },
      { name: 'ca-only', host: 'tcp://10.0.0.6:2376', tls: ['ca'] },
      { name: 'skip', host: 'tcp://10.0.0.7:2376', skip: true },
      { name: 'plain', host: 'tcp://10.0.0.8:2375' },
      { name: 'bastion', host: 'ssh://docker@10.0.0.9:2222' },
    ]);
    const r = read(dir);
    assert.deepEqual(r.issues, []);
    const tls = (name: string, f: string) => path.join(dir, 'contexts', 'tls', contextId(name), 'docker', `${f}.pem`);
    const byName = Object.fromEntries(r.hosts.map((h) => [h.context, h.item]));
    assert.deepEqual(Object.keys(byName), ['bastion', 'ca-only', 'local-sock', 'plain', 'prod-tls', 'skip']); // sorted
    assert.deepEqual(byName['local-sock'], { name: 'local-sock', url: 'unix:///var/run/docker.sock' });
    assert.deepEqual(byName['prod-tls'], {
      name: 'prod-tls',
      url: 'tcp://10.0.0.5:2376',
      tls: { ca: tls('prod-tls', 'ca'), cert: tls('prod-tls', 'cert'), key: tls('prod-tls', 'key') },
    });
    assert.deepEqual(byName['ca-only'], { name: 'ca-only', url: 'tcp://10.0.0.6:2376', tls: { ca: tls('ca-only', 'ca') } });
    assert.deepEqual(byName['skip'], { name: 'skip', url: 'tcp://10.0.0.7:2376', tls: { insecure_skip_verify: true } });
    assert.deepEqual(byName['plain'], { name: 'plain', url: 'tcp://10.0.0.8:2375' });
    assert.deepEqual(byName['bastion'], { name: 'bastion', url: 'ssh://docker@10.0.0.9:2222', ssh: { known_hosts: '/home/me/.ssh/known_hosts' } });
    const metaOf = r.hosts.find((h) => h.context === 'bastion')!.file;
    assert.equal(metaOf, path.join(dir, 'contexts', 'meta', contextId('bastion'), 'meta.json'));
  });

  test('ssh contexts take the block\'s ssh settings; its own host key setting replaces the default known_hosts', () => {
    const dir = store([{ name: 'a', host: 'ssh://u@a' }, { name: 'b', host: 'unix:///b.sock' }]);
    const withKey = read(dir, { blocks: { ssh: { identity_file: '/keys/id', known_hosts: '/etc/kh' } }, labels: { dc: 'eu' } });
    assert.deepEqual(withKey.hosts.map((h) => h.item), [
      { name: 'a', url: 'ssh://u@a', labels: { dc: 'eu' }, ssh: { identity_file: '/keys/id', known_hosts: '/etc/kh' } },
      { name: 'b', url: 'unix:///b.sock', labels: { dc: 'eu' } }, // no ssh block on a unix host
    ]);
    const fingerprint = read(dir, { blocks: { ssh: { host_key_fingerprint: 'SHA256:x' } } });
    assert.deepEqual(fingerprint.hosts[0]!.item['ssh'], { host_key_fingerprint: 'SHA256:x' });
  });

  test('include and exclude are name globs; exclude wins', () => {
    const dir = store([{ name: 'prod-1', host: 'unix:///1' }, { name: 'prod-2', host: 'unix:///2' }, { name: 'dev-1', host: 'unix:///3' }]);
    const names = (more: Partial<DockerContextsOptions>) => read(dir, more).hosts.map((h) => h.context);
    assert.deepEqual(names({}), ['dev-1', 'prod-1', 'prod-2']);
    assert.deepEqual(names({ include: ['prod-*'] }), ['prod-1', 'prod-2']);
    assert.deepEqual(names({ include: ['prod-*'], exclude: ['*-2'] }), ['prod-1']);
    assert.deepEqual(names({ include: ['dev-?', 'prod-1'] }), ['dev-1', 'prod-1']);
    const none = read(dir, { include: ['staging-*'] });
    assert.deepEqual(none.hosts, []);
    assert.match(none.warnings[0]!.message, /none of the 3 Docker contexts in .* matches include\/exclude/);
  });

  test('a missing store is an error naming it; a store without contexts is a warning', () => {
    const missing = path.join(tmp, 'nope');
    const r = read(missing);
    assert.deepEqual(r.hosts, []);
    assert.equal(r.issues.length, 1);
    assert.equal(r.issues[0]!.message, `cannot read the Docker context store ${missing} (ENOENT)`);
    const empty = store([]);
    const e = read(empty);
    assert.deepEqual(e.issues, []);
    assert.match(e.warnings[0]!.message, /^no Docker contexts in /);
  });

  test('a broken context is skipped, naming the context and the file; the others are still read', () => {
    const dir = store([{ name: 'good', host: 'unix:///good.sock' }]);
    const meta = path.join(dir, 'contexts', 'meta');
    const bad = (id: string, text: string) => {
      fs.mkdirSync(path.join(meta, id));
      fs.writeFileSync(path.join(meta, id, 'meta.json'), text);
      return path.join(meta, id, 'meta.json');
    };
    const notJson = bad('aa', '{"Name": ');
    const noEndpoint = bad('bb', JSON.stringify({ Name: 'k8s-only', Endpoints: { kubernetes: {} } }));
    const noName = bad('cc', JSON.stringify({ Endpoints: {} }));
    const badSkip = bad('dd', JSON.stringify({ Name: 'odd', Endpoints: { docker: { Host: 'tcp://h:1', SkipTLSVerify: 'yes' } } }));
    fs.mkdirSync(path.join(meta, 'ee')); // no meta.json: skipped, as the docker CLI does
    const r = read(dir);
    assert.deepEqual(r.hosts.map((h) => h.context), ['good']);
    assert.deepEqual(r.issues, []);
    const issues = r.skipped.map((i) => [i.context, i.file, i.message]);
    assert.equal(issues.length, 4);
    assert.deepEqual(issues[0], [undefined, notJson, `${notJson} is not valid JSON: not a context's meta.json`]);
    assert.deepEqual(issues[1], ['k8s-only', noEndpoint, `context "k8s-only" has no docker endpoint (Endpoints.docker.Host) in ${noEndpoint}`]);
    assert.deepEqual(issues[2], [undefined, noName, `${noName} has no "Name": not a context's meta.json`]);
    assert.deepEqual(issues[3], ['odd', badSkip, `context "odd": Endpoints.docker.SkipTLSVerify must be true or false in ${badSkip}`]);
  });

  test('a stray file in contexts/meta, a FIFO or device for meta.json: skipped at once, the others read', () => {
    const dir = store([{ name: 'good', host: 'unix:///good.sock' }]);
    const meta = path.join(dir, 'contexts', 'meta');
    fs.writeFileSync(path.join(meta, 'README'), 'not a context\n');
    fs.mkdirSync(path.join(meta, 'ff'));
    const fifo = fifoWithLateWriter(path.join(meta, 'ff', 'meta.json'));
    after(fifo.stop);
    fs.mkdirSync(path.join(meta, 'zz'));
    fs.symlinkSync('/dev/zero', path.join(meta, 'zz', 'meta.json'));
    const t0 = performance.now();
    const r = read(dir);
    assert.ok(performance.now() - t0 < 1000, 'a FIFO must not be waited on');
    assert.deepEqual(r.hosts.map((h) => h.context), ['good']);
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.skipped.map((s) => s.message), [
      `${path.join(meta, 'README')} is not a context's directory`,
      `cannot read ${path.join(meta, 'ff', 'meta.json')} (a FIFO, not a regular file)`,
      `cannot read ${path.join(meta, 'zz', 'meta.json')} (a device, not a regular file)`,
    ]);
  });

  test('a meta.json that is not JSON never puts its bytes in the message', () => {
    const dir = store([]);
    const shadow = path.join(tmp, 'shadow');
    fs.writeFileSync(shadow, 'root:$6$VErYsEcReT$hash:19000:0:99999:7:::\n');
    const id = path.join(dir, 'contexts', 'meta', 'aa');
    fs.mkdirSync(id, { recursive: true });
    fs.symlinkSync(shadow, path.join(id, 'meta.json'));
    const [skipped] = read(dir).skipped;
    assert.ok(skipped !== undefined);
    assert.doesNotMatch(skipped.message, /root|\$6\$|VE/);
    assert.match(skipped.message, /is not valid JSON/);
  });

  test('TLS files are found by the hash of the name, wherever meta.json is', () => {
    const dir = store([]);
    const metaDir = path.join(dir, 'contexts', 'meta', 'not-the-hash');
    fs.mkdirSync(metaDir, { recursive: true });
    fs.writeFileSync(path.join(metaDir, 'meta.json'), JSON.stringify({ Name: 'x', Endpoints: { docker: { Host: 'tcp://x:2376' } } }));
    const tlsDir = path.join(dir, 'contexts', 'tls', contextId('x'), 'docker');
    fs.mkdirSync(tlsDir, { recursive: true });
    fs.writeFileSync(path.join(tlsDir, 'ca.pem'), 'ca');
    assert.deepEqual(read(dir).hosts[0]!.item['tls'], { ca: path.join(tlsDir, 'ca.pem') });
  });
});
