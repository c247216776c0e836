import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequestTarget } from '../../src/http/request-target.ts';

const pathOf = (raw: string) => parseRequestTarget(raw)?.path;

test('origin-form: the path as sent, the query parsed', () => {
  const t = parseRequestTarget('/probe?target=web-01&x=%2F');
  assert.equal(t?.path, '/probe');
  assert.equal(t?.query.get('target'), 'web-01');
  assert.equal(t?.query.get('x'), '/');
  assert.equal(pathOf('/'), '/');
  assert.equal(pathOf('/metrics?'), '/metrics');
});

test('"//anything" is the path "//anything", not an authority (it served the status page)', () => {
  assert.equal(pathOf('//anything'), '//anything');
  assert.equal(pathOf('//'), '//');
  assert.equal(pathOf('/metrics/'), '/metrics/');
  assert.equal(pathOf('/a/../metrics'), '/a/../metrics', 'not normalized: only "/metrics" is the metrics route');
});

test('absolute-form (sent to proxies; servers must accept it)', () => {
  assert.equal(pathOf('http://exporter:9417/metrics'), '/metrics');
  assert.equal(parseRequestTarget('HTTP://exporter?target=a')?.query.get('target'), 'a');
  assert.equal(pathOf('http://exporter'), '/');
  assert.equal(pathOf('http://exporter//x'), '//x');
});

test('invalid targets: undefined (a 400), never a throw', () => {
  for (const raw of ['//[', '/[', '/a b', '*', '', 'metrics', '/%zz', '/%', '/metrics#frag', '/\u00e9', 'http://h/[', 'ftp://h/metrics', '/?a=[']) {
    assert.equal(parseRequestTarget(raw), undefined, JSON.stringify(raw));
  }
});
