// basic_auth_users: bcrypt checks, one successful password remembered per user, constant work
// for unknown users, a bound on queued comparisons.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { BasicAuth, parseBasic } from '../../src/web/basic-auth.ts';

// cost 4 keeps the test fast; the code path is the same at any cost
const hash = (password: string) => bcrypt.hashSync(password, 4).replace(/^\$2b\$/, '$2y$');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('parseBasic reads the header as Go does', () => {
  assert.deepEqual(parseBasic(basic('alice', 'pa:ss')), { user: 'alice', password: 'pa:ss' });
  assert.deepEqual(parseBasic(`bAsIc ${Buffer.from('a:').toString('base64')}`), { user: 'a', password: '' });
  for (const bad of [undefined, '', 'Bearer x', 'Basic', 'Basic !!!', `Basic ${Buffer.from('nocolon').toString('base64')}`]) {
    assert.equal(parseBasic(bad), undefined, String(bad));
  }
});

test('right password ok, wrong or unknown denied; a success is remembered, a failure is not', async () => {
  const users = new Map([['alice', hash('secret')], ['bob', hash('other')]]);
  const auth = new BasicAuth();
  assert.equal(await auth.check(users, undefined), 'denied');
  assert.equal(auth.comparisons, 0, 'no header: no bcrypt');
  assert.equal(await auth.check(users, basic('alice', 'secret')), 'ok');
  assert.equal(auth.comparisons, 1);
  for (let i = 0; i < 5; i++) assert.equal(await auth.check(users, basic('alice', 'secret')), 'ok');
  assert.equal(auth.comparisons, 1, 'remembered: no more bcrypt for alice');
  assert.equal(await auth.check(users, basic('alice', 'wrong')), 'denied');
  assert.equal(await auth.check(users, basic('alice', 'wrong')), 'denied');
  assert.equal(auth.comparisons, 3, 'a wrong password pays bcrypt each time');
  assert.equal(await auth.check(users, basic('alice', 'secret')), 'ok', 'a wrong try does not forget the right one');
  assert.equal(auth.comparisons, 3);
  // an unknown user is compared too (against a decoy), so its timing matches a known one
  assert.equal(await auth.check(users, basic('mallory', 'secret')), 'denied');
  assert.equal(auth.comparisons, 4);
  // another user's password is not alice's
  assert.equal(await auth.check(users, basic('bob', 'secret')), 'denied');
  assert.equal(await auth.check(users, basic('bob', 'other')), 'ok');
});

test('a changed hash in the file is checked again: the old password stops working', async () => {
  const auth = new BasicAuth();
  const v1 = new Map([['alice', hash('old')]]);
  assert.equal(await auth.check(v1, basic('alice', 'old')), 'ok');
  const v2 = new Map([['alice', hash('new')]]);
  auth.forgetOthers(v2);
  assert.equal(await auth.check(v2, basic('alice', 'old')), 'denied');
  assert.equal(await auth.check(v2, basic('alice', 'new')), 'ok');
  // and a user removed from the file is denied even with a remembered password
  assert.equal(await auth.check(new Map(), basic('alice', 'new')), 'denied');
});

test('beyond maxPending queued comparisons the answer is "busy", without bcrypt', async () => {
  const users = new Map([['alice', hash('secret')]]);
  const auth = new BasicAuth({ maxPending: 2 });
  const results = await Promise.all([1, 2, 3, 4].map((i) => auth.check(users, basic('alice', `wrong${i}`))));
  assert.deepEqual(results, ['denied', 'denied', 'busy', 'busy']);
  assert.equal(auth.comparisons, 2);
  assert.equal(await auth.check(users, basic('alice', 'secret')), 'ok', 'the queue drained');
});

test('a check runs off the main thread: the event loop stays free while bcrypt works', async () => {
  const users = new Map([['alice', bcrypt.hashSync('secret', 11)]]); // ~0.2-0.4 s of a core here
  const auth = new BasicAuth();
  await auth.check(users, basic('alice', 'warm-up')); // the worker thread starts once
  const t0 = performance.now();
  const before = performance.eventLoopUtilization();
  const results = await Promise.all([1, 2, 3].map((i) => auth.check(users, basic('alice', `wrong${i}`))));
  const elu = performance.eventLoopUtilization(before);
  assert.deepEqual(results, ['denied', 'denied', 'denied']);
  const ms = performance.now() - t0;
  // On the main thread (bcryptjs' async compare, 100 ms slices) the loop is busy ~100% of it.
  assert.ok(elu.utilization < 0.2, `the main thread was busy ${(elu.utilization * 100).toFixed(0)}% of ${ms.toFixed(0)} ms`);
});

test('an unknown user is compared against a decoy of the highest cost in the file', async () => {
  const seen: string[] = [];
  const auth = new BasicAuth({ compare: async (_password, h) => (seen.push(h), false) });
  const cost = (c: number) => `$2y$${String(c).padStart(2, '0')}$${'a'.repeat(53)}`;
  assert.equal(await auth.check(new Map([['alice', cost(12)]]), basic('mallory', 'x')), 'denied');
  assert.equal(await auth.check(new Map([['alice', cost(11)], ['bob', cost(4)]]), basic('mallory', 'x')), 'denied');
  assert.deepEqual(seen.map((h) => h.slice(0, 7)), ['$2y$12$', '$2y$11$']);
  assert.ok(seen.every((h) => h.length === 60));
});
