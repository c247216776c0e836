// The one reader of configured files: regular files only, never blocking on a FIFO, capped.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readRegularFile, unreadableReason } from '../../src/util/read-file.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dfe-read-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const reason = (file: string, max?: number): string => {
  const r = readRegularFile(file, max);
  assert.ok(!r.ok, `${file} was read`);
  return r.reason;
};

test('a regular file is read whole, up to and including the cap', () => {
  const file = path.join(dir, 'ok.txt');
  writeFileSync(file, 'x'.repeat(10_000));
  const r = readRegularFile(file, 10_000);
  assert.ok(r.ok);
  assert.equal(r.data.length, 10_000);
  assert.equal(reason(file, 9_999), 'larger than 9999 bytes, the limit for this file');
  writeFileSync(path.join(dir, 'empty'), '');
  const empty = readRegularFile(path.join(dir, 'empty'));
  assert.ok(empty.ok);
  assert.equal(empty.data.length, 0);
});

test('a FIFO is refused at once, without waiting for a writer', () => {
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const t0 = performance.now();
  assert.equal(reason(fifo), 'a FIFO, not a regular file');
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(unreadableReason(fifo), 'a FIFO, not a regular file');
});

test('a symlink to /dev/zero, a directory and a missing file are refused by name of what they are', () => {
  const zero = path.join(dir, 'zero');
  symlinkSync('/dev/zero', zero);
  assert.equal(reason(zero), 'a device, not a regular file');
  mkdirSync(path.join(dir, 'sub'));
  assert.equal(reason(path.join(dir, 'sub')), 'a directory, not a regular file');
  assert.equal(reason(path.join(dir, 'nope')), 'ENOENT');
  const loop = path.join(dir, 'loop');
  symlinkSync(loop, loop);
  assert.equal(reason(loop), 'ELOOP');
});
