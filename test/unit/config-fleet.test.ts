// The config's fleet settings: docker_contexts (hosts imported from a context store) merged with
// hosts, and shard (file and flags).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { contextId } from '../../src/config/docker-contexts.ts';
import { loadConfig, type LoadOptions, type LoadResult } from '../../src/config/load.ts';
import type { ExporterConfig } from '../../src/config/types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfe-config-fleet-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const home = path.join(tmp, 'home');
fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), 'placeholder\n');
const identity = path.join(tmp, 'id_ed25519');
fs.writeFileSync(identity, 'placeholder\n', { mode: 0o600 });

let n = 0;
function store(contexts: { name: string; host: string }[]): string {
  const dir = path.join(tmp, `store-${++n}`);
  fs.mkdirSync(path.join(dir, 'contexts', 'meta'), { recursive: true });
  for (const c of contexts) {
    const meta = path.join(dir, 'contexts', 'meta', contextId(c.name));
    fs.mkdirSync(meta);
    fs.writeFileSync(path.join(meta, 'meta.json'), JSON.stringify({ Name: c.name, Metadata: {}, Endpoints: { docker: { Host: c.host, SkipTLSVerify: false } } }));
  }
  return dir;
}
const metaOf = (dir: string, name: string) => path.join(dir, 'contexts', 'meta', contextId(name), 'meta.json');

function load(text: string, more: Partial<LoadOptions> = {}): LoadResult {
  const file = path.join(tmp, `config-${++n}.yml`);
  fs.writeFileSync(file, text);
  return loadConfig({ file, env: { HOME: home }, ...more });
}
function ok(r: LoadResult): { config: ExporterConfig; warnings: string[] } {
  if (!r.ok) assert.fail(`expected a valid config, got:\n${r.errors.join('\n')}`);
  return r;
}
function errors(r: LoadResult): string[] {
  if (r.ok) assert.fail('expected errors');
  return r.errors.map((e) => e.replace(/^.*?config-\d+\.yml: /, ''));
}

describe('docker_contexts', () => {
  test('imported hosts follow the listed ones, each read as a hosts[] item', () => {
    const dir = store([
      { name: 'ctx-ssh', host: 'ssh://docker@10.0.0.9' },
      { name: 'ctx-unix', host: 'unix:///run/b.sock' },
    ]);
    const r = ok(load(`
hosts:
  - {name: local, url: unix:///var/run/docker.sock}
docker_contexts:
  dir: ${dir}
  labels: {source: ctx}
  ssh: {identity_file: ${identity}}
`));
    const hosts = r.config.hosts;
    assert.deepEqual(hosts.map((h) => [h.name, h.context]), [['local', undefined], ['ctx-ssh', 'ctx-ssh'], ['ctx-unix', 'ctx-unix']]);
    assert.deepEqual(hosts[2]!.labels, { source: 'ctx' });
    const ssh = hosts[1]!.endpoint;
    assert.equal(ssh.kind, 'ssh');
    if (ssh.kind === 'ssh') {
      assert.equal(ssh.ssh.identityFile, identity);
      assert.equal(ssh.ssh.knownHosts, path.join(home, '.ssh', 'known_hosts'), 'known_hosts defaults to ~/.ssh/known_hosts');
    }
    assert.equal('docker_contexts' in r.config, false, 'merged into hosts');
  });

  test('hosts may be left out; the store defaults to $DOCKER_CONFIG', () => {
    const dir = store([{ name: 'only', host: 'unix:///run/only.sock' }]);
    const r = ok(load('docker_contexts: {}\n', { env: { HOME: home, DOCKER_CONFIG: dir } }));
    assert.deepEqual(r.config.hosts.map((h) => h.name), ['only']);
  });

  test('a name both listed and imported is a duplicate', () => {
    const dir = store([{ name: 'web-01', host: 'unix:///run/w.sock' }]);
    const e = errors(load(`
hosts:
  - {name: a, url: unix:///a.sock}
  - {name: web-01, url: unix:///w.sock}
docker_contexts: {dir: ${dir}}
`));
    assert.deepEqual(e, ['docker_contexts: context "web-01": duplicate host name "web-01" (also hosts[1].name)']);
  });

  test('a bad context is skipped with a warning naming it and its meta.json; the store\'s problems name the store', () => {
    const dir = store([{ name: 'no-user', host: 'ssh://10.0.0.9' }, { name: 'fine', host: 'unix:///run/f.sock' }]);
    const r = ok(load(`docker_contexts: {dir: ${dir}, ssh: {identity_file: ${identity}}}\n`));
    assert.deepEqual(r.config.hosts.map((h) => h.name), ['fine']);
    assert.deepEqual(r.warnings.map((w) => w.replace(/^.*?config-\d+\.yml: /, '')), [
      `docker_contexts: context "no-user" (${metaOf(dir, 'no-user')}): url: ssh:// needs a user: ssh://user@host[:port]; skipped`,
    ]);
    const missing = path.join(tmp, 'no-store');
    assert.deepEqual(errors(load(`docker_contexts: {dir: ${missing}}\n`)), [`docker_contexts: cannot read the Docker context store ${missing} (ENOENT)`]);
  });

  test('the block\'s own keys are checked', () => {
    const e = errors(load('docker_contexts: {dirr: /x, include: [""], ssh: yes}\nhosts: [{name: a, url: "unix:///a"}]\n'));
    assert.deepEqual(e, [
      'docker_contexts.dirr: unknown key (expected one of: dir, include, exclude, labels, ssh)',
      'docker_contexts.include: [0] must be a non-empty string, got a string',
      'docker_contexts.ssh: must be a mapping, got a string',
    ]);
  });

  test('no host at all: listed none, imported none', () => {
    const dir = store([]);
    const e = errors(load(`docker_contexts: {dir: ${dir}}\n`));
    assert.deepEqual(e, ['hosts: at least one host is required: hosts lists none and docker_contexts imported none']);
  });

  test('a context named as the docker CLI allows but a host name does not (prod+1) is skipped, not the fleet', () => {
    const dir = store([{ name: 'prod+1', host: 'unix:///run/p.sock' }, { name: 'prod-2', host: 'unix:///run/q.sock' }]);
    fs.writeFileSync(path.join(dir, 'contexts', 'meta', 'stray.txt'), 'x\n');
    const r = ok(load(`docker_contexts: {dir: ${dir}}\n`));
    assert.deepEqual(r.config.hosts.map((h) => h.name), ['prod-2']);
    assert.equal(r.warnings.length, 2);
    assert.match(r.warnings[0]!, /stray\.txt is not a context's directory; skipped$/);
    assert.match(r.warnings[1]!, /docker_contexts: context "prod\+1" \(.*meta\.json\): name: .*; skipped$/);
  });

  test('warnings of an imported host are given once, naming the context', () => {
    const dir = store([{ name: 'plain', host: 'tcp://10.0.0.8:2375' }]);
    const r = ok(load(`docker_contexts: {dir: ${dir}}\n`));
    const w = r.warnings.filter((x) => x.includes('unauthenticated'));
    assert.equal(w.length, 1, r.warnings.join('\n'));
    assert.match(w[0]!, /docker_contexts: context "plain" \(.*meta\.json\): url: tcp:\/\/ without a tls block/);
  });
});

describe('shard', () => {
  const hosts = 'hosts: [{name: a, url: "unix:///a"}]\n';
  test('from the file, the flags overriding it', () => {
    assert.deepEqual(ok(load(hosts)).config.shard, { count: 1, index: 0 });
    assert.deepEqual(ok(load(`${hosts}shard: {count: 3, index: 2}\n`)).config.shard, { count: 3, index: 2 });
    assert.deepEqual(ok(load(`${hosts}shard: {count: 3, index: 2}\n`, { shardIndex: 0 })).config.shard, { count: 3, index: 0 });
    assert.deepEqual(ok(load(hosts, { shardCount: 2, shardIndex: 1 })).config.shard, { count: 2, index: 1 });
  });

  test('an index past the count is an error naming where it came from', () => {
    assert.deepEqual(errors(load(`${hosts}shard: {count: 2, index: 2}\n`)), ['shard.index: 2 is not below the shard count 2: the index runs from 0 to 1']);
    const flag = load(hosts, { shardIndex: 1 });
    assert.equal(flag.ok, false);
    if (!flag.ok) assert.deepEqual(flag.errors, ['--shard.index: 1 is not below the shard count 1 (the default): the index runs from 0 to 0']);
    assert.deepEqual(errors(load(`${hosts}shard: {count: 0}\n`)), ['shard.count: must be 1 or more, got 0']);
  });
});
