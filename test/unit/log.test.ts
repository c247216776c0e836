// --log.format: logfmt (default, as the Prometheus exporters) and JSON lines.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../../src/log.ts';
import { toLogfmt } from '../../src/util/logfmt.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dfe-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function logged(format: 'logfmt' | 'json', write: (log: ReturnType<typeof createLogger>) => void): string {
  const file = path.join(dir, `${format}-${Math.random()}.log`);
  const fd = openSync(file, 'w');
  try {
    write(createLogger('info', format, fd));
  } finally {
    closeSync(fd);
  }
  return readFileSync(file, 'utf8');
}

test('logfmt: time, level, msg first, then the fields; synchronous', () => {
  const out = logged('logfmt', (log) => {
    log.info({ port: 9417, address: '', hosts: ['a', 'b c'] }, 'listening');
    log.debug('not at info');
    log.warn({ file: '/etc/x y.yml', ok: true }, 'web config "reloaded"');
  });
  const lines = out.split('\n');
  assert.equal(lines.length, 3, out);
  assert.match(lines[0]!, /^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info msg=listening port=9417 address="" hosts="\[\\"a\\",\\"b c\\"\]"$/);
  assert.match(lines[1]!, / level=warn msg="web config \\"reloaded\\"" file="\/etc\/x y\.yml" ok=true$/);
  assert.equal(lines[2], '');
});

test('logfmt: a value can never break the line or forge a field', () => {
  const line = toLogfmt(JSON.stringify({ level: 50, time: 0, msg: 'x', err: 'a\nlevel=info msg=forged', eq: 'k=v', bs: 'a\\b' }));
  assert.equal(line, 'time=1970-01-01T00:00:00.000Z level=error msg=x err="a\\nlevel=info msg=forged" eq="k=v" bs="a\\\\b"\n');
});

test('json: pino lines, as before', () => {
  const out = logged('json', (log) => log.warn({ n: 1 }, 'hello'));
  const rec = JSON.parse(out) as Record<string, unknown>;
  assert.equal(rec.level, 40);
  assert.equal(rec.msg, 'hello');
  assert.equal(rec.n, 1);
});
