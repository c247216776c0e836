// The family registry: a family is one file plus one line, and the config's allowed values,
// default list and reserved labels follow it; the render's label cache belongs to the renderer,
// so any family works alone and a rename or churn never serves or keeps stale label text.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { optionalFamilyNames, registerFamily } from '../../src/metrics/families/index.ts';
import { LabelCache } from '../../src/metrics/label-cache.ts';
import { MetricsRenderer } from '../../src/metrics/renderer.ts';
import { containerSnapshot, hostSnapshot, samples } from '../support/snapshots.ts';
import { widgetFamily } from '../support/widget-family.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfe-families-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const load = (yaml: string) => {
  const file = path.join(tmp, `c${fs.readdirSync(tmp).length}.yml`);
  fs.writeFileSync(file, yaml);
  return loadConfig({ file, env: {} });
};
const host = '  - name: local\n    url: unix:///var/run/docker.sock\n';

describe('a family registered outside src/ (test/support/widget-family.ts)', () => {
  test('is an allowed value of metrics.families, and in the default list', () => {
    assert.deepEqual(optionalFamilyNames(), ['docker_exporter', 'cadvisor', 'state', 'events', 'swarm', 'widget']);
    const r = load(`metrics:\n  families: [widget]\nhosts:\n${host}`);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.config.metrics.families, ['widget']);
    const d = load(`hosts:\n${host}`);
    assert.ok(d.ok && d.config.metrics.families.includes('widget'));
    const bad = load(`metrics:\n  families: [widgets]\nhosts:\n${host}`);
    assert.ok(!bad.ok && bad.errors.length === 1 && bad.errors[0]!.endsWith('metrics.families: [0] must be one of docker_exporter, cadvisor, state, events, swarm, widget, got "widgets"'), JSON.stringify(bad));
  });

  test('its label names are reserved for static host labels', () => {
    const r = load(`hosts:\n${host}    labels: { widget_kind: x }\n`);
    assert.ok(!r.ok);
    assert.match(r.errors[0]!, /hosts\[0\]\.labels\.widget_kind \(host "local"\): "widget_kind" is a label the exporter sets itself \(reserved: .*widget_kind/);
  });

  test('appears in the output when enabled, alone or with the others', async () => {
    const snaps = [hostSnapshot('a', [containerSnapshot('web')])];
    const alone = await new MetricsRenderer(['widget'], [], 'test').render(snaps, false);
    assert.deepEqual(samples(alone, /^widget_/), ['widget_containers_seen{host="a",dc="eu-1",name="web",widget_kind="img:1"} 1']);
    assert.match(alone, /^docker_host_up\{host="a",dc="eu-1"\} 1$/m, 'the host family is always on');
    assert.doesNotMatch(alone, /^container_/m);
    const all = await new MetricsRenderer(['cadvisor', 'widget', 'state'], [], 'test').render(snaps, false);
    assert.equal(samples(all, /^widget_/).length, 1);
  });

  test('a name registered twice is refused', () => {
    assert.throws(() => registerFamily(widgetFamily), /metric family "widget" is registered twice/);
  });
});

describe('the renderer\'s label cache', () => {
  const stateNames = /^container_(info|state|exit_code|oom_killed|finished_time_seconds|restart_policy_info|health_status)$/;

  test('each family renders alone exactly the series it renders with the others', async () => {
    const snaps = [hostSnapshot('a', [containerSnapshot('web'), containerSnapshot('job', 'exited')]), hostSnapshot('b', [containerSnapshot('db')], {})];
    const all = await new MetricsRenderer(['docker_exporter', 'cadvisor', 'state'], ['com.docker.compose.project'], 'test').render(snaps, false);
    const state = await new MetricsRenderer(['state'], ['com.docker.compose.project'], 'test').render(snaps, false);
    assert.ok(samples(state, stateNames).length > 10);
    assert.deepEqual(samples(state, stateNames), samples(all, stateNames));
    for (const [family, names] of [['cadvisor', /^container_(cpu|memory|network|fs|spec|processes|start|last)/], ['docker_exporter', /^docker_container_/]] as const) {
      const alone = await new MetricsRenderer([family], [], 'test').render(snaps, false);
      assert.ok(samples(alone, names).length > 5, family);
      assert.deepEqual(samples(alone, names), samples(all, names), family);
    }
  });

  test('a renamed container (same id) is rendered with its new name, in every label set', async () => {
    const renderer = new MetricsRenderer(['docker_exporter', 'cadvisor', 'state'], [], 'test');
    await renderer.render([hostSnapshot('a', [containerSnapshot('web')])], false);
    const renamed = containerSnapshot('web', 'running', { name: 'shop-web' }); // same id
    const text = await renderer.render([hostSnapshot('a', [renamed])], false);
    assert.doesNotMatch(text, /name="web"/);
    assert.match(text, /^container_info\{host="a",dc="eu-1",name="shop-web",id="web0+"/m);
    assert.match(text, /^docker_container_running_state\{host="a",dc="eu-1",name="shop-web"\} 1$/m);
  });

  test('entries a render of their host did not use are dropped; other hosts\' are kept', () => {
    const cache = new LabelCache();
    const set = cache.define((i) => [['name', i.name]]);
    const many = hostSnapshot('a', Array.from({ length: 100 }, (_, i) => containerSnapshot(`c${i}-`)));
    const other = hostSnapshot('b', [containerSnapshot('x')]);
    let r = cache.begin();
    for (const h of [many, other]) for (const c of h.containers!) r.of(h, c, set);
    r.end();
    assert.equal(cache.size, 101);
    const fewer = hostSnapshot('a', [containerSnapshot('c7-')]);
    r = cache.begin();
    const bytes = r.of(fewer, fewer.containers![0]!, set);
    r.end();
    assert.equal(bytes.toString(), 'host="a",dc="eu-1",name="c7-"');
    assert.equal(cache.size, 2, 'c7 of host a, and host b\'s x (not rendered this time)');
  });
});

test('the swarm family writes no host labels: its label names stay free for static host labels', () => {
  const r = load(`hosts:\n${host}    labels: { service: web, node: a, role: db }\n`);
  assert.ok(r.ok, JSON.stringify(r));
  const bad = load(`hosts:\n${host}    labels: { swarm_service: x }\n`);
  assert.ok(!bad.ok && /swarm_service/.test(bad.errors[0]!), JSON.stringify(bad));
});
