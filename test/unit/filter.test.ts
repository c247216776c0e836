import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileFilter } from '../../src/tracker/filter.ts';

const c = (name: string, labels: Record<string, string> = {}) => ({ name, labels });
const none = { names: [], labels: [] };

test('no include and no exclude: everything', () => {
  assert.equal(compileFilter(none, none)(c('x')), true);
});

test('include by name glob and by label, then exclude', () => {
  const f = compileFilter({ names: ['web-*', 'db?'], labels: ['team=core'] }, { names: ['*-tmp'], labels: ['skip'] });
  assert.equal(f(c('web-1')), true);
  assert.equal(f(c('db1')), true);
  assert.equal(f(c('db12')), false, '? is one character');
  assert.equal(f(c('cache', { team: 'core' })), true);
  assert.equal(f(c('cache', { team: 'edge' })), false);
  assert.equal(f(c('web-tmp')), false, 'exclude wins');
  assert.equal(f(c('web-2', { skip: '' })), false, 'label presence');
});

test('glob metacharacters of regular expressions are literal', () => {
  const f = compileFilter({ names: ['a.b+(c)'], labels: [] }, none);
  assert.equal(f(c('a.b+(c)')), true);
  assert.equal(f(c('axbb(c)')), false);
});
