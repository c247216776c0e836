// monitoring/: the committed files are what the generator writes; promtool accepts the rules and
// passes their unit tests; every alert has a firing case and a near miss; every aggregation keeps
// `host`; the dashboard is importable and every query parses.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { generatedFiles, MONITORING_DIR, REPO_DIR } from '../../monitoring/build.ts';
import { buildDashboard } from '../../monitoring/dashboard.ts';
import { panelQueries, substitute } from '../../monitoring/queries.ts';
import { alertRules, recordingRules, runbookAnchor } from '../../monitoring/rules.ts';

const run = promisify(execFile);
const path = (f: string) => join(MONITORING_DIR, f);
const tmp = mkdtempSync(join(tmpdir(), 'dfe-monitoring-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: MONITORING_DIR });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface ExpAlert {
  exp_labels?: Record<string, string>;
}
interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: ExpAlert[];
}
interface TestGroup {
  name: string;
  input_series: Array<{ series: string }>;
  alert_rule_test?: AlertTest[];
}

/** The label values that tell one alert from another: host, container name, exporter instance. */
function identity(labels: Record<string, string>): string {
  return ['host', 'name', 'instance'].map((l) => labels[l] ?? '').join('|');
}
function seriesLabels(series: string): Record<string, string> {
  return Object.fromEntries([...series.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** Every PromQL expression we ship: recording rules, alerts, dashboard targets. */
function allExprs(): Array<{ where: string; expr: string }> {
  return [
    ...recordingRules().map((r) => ({ where: `recording rule ${r.record}`, expr: r.expr })),
    ...alertRules().map((a) => ({ where: `alert ${a.alert}`, expr: a.expr })),
    ...panelQueries(buildDashboard()).map((q) => ({ where: `panel ${q.key}`, expr: q.expr })),
  ];
}

describe('monitoring/', () => {
  test('the committed files are what monitoring/build.ts generates', () => {
    for (const [file, want] of generatedFiles()) {
      const have = readFileSync(file, 'utf8');
      assert.ok(have === want, `${relative(REPO_DIR, file)} differs from what monitoring/build.ts generates: run "npm run monitoring" and commit`);
    }
  });

  test('promtool check rules accepts rules.yml and alerts.yml', async () => {
    const r = await promtool('check', 'rules', 'rules.yml', 'alerts.yml');
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, new RegExp(`SUCCESS: ${recordingRules().length} rules found`));
    assert.match(r.output, new RegExp(`SUCCESS: ${alertRules().length} rules found`));
  });

  test('promtool test rules: the alert and recording-rule unit tests pass', async () => {
    const r = await promtool('test', 'rules', 'tests/alerts.test.yml', 'tests/rules.test.yml');
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output.match(/SUCCESS/g)?.length, 2, r.output);
  });

  test('every alert has a case where it fires and a near miss where it must not', () => {
    const groups = (parse(readFileSync(path('tests/alerts.test.yml'), 'utf8')) as { tests: TestGroup[] }).tests;
    for (const { alert } of alertRules()) {
      let fires = 0;
      let nearMisses = 0;
      for (const g of groups) {
        for (const t of (g.alert_rule_test ?? []).filter((t) => t.alertname === alert)) {
          const expected = new Set((t.exp_alerts ?? []).map((a) => identity(a.exp_labels ?? {})));
          if (expected.size > 0) fires++;
          // A series of the case whose host/container/instance no expected alert names.
          const quiet = new Set(g.input_series.map((s) => identity(seriesLabels(s.series))).filter((id) => !expected.has(id)));
          nearMisses += quiet.size;
        }
      }
      assert.ok(fires > 0, `${alert}: no test case where it fires`);
      assert.ok(nearMisses > 0, `${alert}: no test case where it must not fire`);
    }
  });

  test('every alert: summary, a description naming the host (and the container), a runbook entry', () => {
    const runbooks = readFileSync(path('README.md'), 'utf8');
    const alerts = (parse(readFileSync(path('alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: Record<string, string> }> }> }).groups.flatMap((g) => g.rules);
    assert.equal(alerts.length, alertRules().length);
    for (const a of alerts) {
      const n = a.annotations;
      assert.ok(n.summary && n.runbook, `${a.alert}: summary and runbook`);
      if (a.alert.startsWith('DockerFleetExporter')) assert.match(n.description!, /\$labels\.instance/, `${a.alert}: names the exporter`);
      else assert.match(n.description!, /\$labels\.host/, `${a.alert}: description names the host`);
      if (a.alert.startsWith('Container')) assert.match(n.description!, /\$labels\.name/, `${a.alert}: description names the container`);
      assert.ok(n.runbook_url?.endsWith(`#${runbookAnchor(a.alert)}`), `${a.alert}: runbook_url ${n.runbook_url}`);
      assert.match(runbooks, new RegExp(`^### ${a.alert}$`, 'm'), `monitoring/README.md has no "### ${a.alert}" runbook entry`);
    }
  });

  test('every aggregation and vector match keeps host; none drops it', () => {
    const bad: string[] = [];
    for (const { where, expr } of allExprs()) {
      for (const m of expr.matchAll(/\b(by|on|without|ignoring)\s*\(([^)]*)\)/g)) {
        const labels = m[2]!.split(',').map((l) => l.trim());
        const keeps = m[1] === 'by' || m[1] === 'on';
        if (keeps !== labels.includes('host')) bad.push(`${where}: ${m[0]}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  test('the dashboard: a data source input, a stable uid, job and host variables, unique ids, every target on the input', () => {
    const d = JSON.parse(readFileSync(path('dashboard.json'), 'utf8')) as ReturnType<typeof buildDashboard>;
    const ds = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
    assert.deepEqual(d['__inputs'], [{ name: 'DS_PROMETHEUS', label: 'Prometheus', description: 'The Prometheus that scrapes docker-fleet-exporter', type: 'datasource', pluginId: 'prometheus', pluginName: 'Prometheus' }]);
    assert.equal(d.uid, 'docker-fleet-exporter');
    assert.equal(d['id'], null, 'no instance id: Grafana gives one at import');
    const vars = new Map(d.templating.list.map((v) => [v.name as string, v]));
    for (const name of ['job', 'host', 'container']) assert.deepEqual(vars.get(name)?.['datasource'], ds, `variable ${name}: datasource`);
    assert.equal(vars.get('job')?.multi, false);
    // nothing left that the import would not fill: every ${...} is the input or a variable
    const unknown = [...JSON.stringify(d).matchAll(/\$\{(\w+)/g)].map((m) => m[1]!).filter((n) => n !== 'DS_PROMETHEUS' && !vars.has(n) && !n.startsWith('__'));
    assert.deepEqual(unknown, []);
    const host = vars.get('host');
    assert.equal(host?.multi, true);
    assert.match(String(host?.query), /^label_values\(docker_host_up\{[^}]*\}, host\)$/);
    assert.equal(vars.get('container')?.type, 'query');
    const panels = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const p of panels.filter((p) => p.type !== 'row')) {
      assert.deepEqual(p.datasource, ds, `${p.title}: datasource`);
      assert.ok((p.targets ?? []).length > 0, `${p.title}: has queries`);
      for (const t of p.targets ?? []) assert.match(t.expr, /job="\$job".*host=~"\$host"/, `${p.title} [${t.refId}]: filtered by $job and $host`);
    }
    const grid = panels.map((p) => p.gridPos);
    assert.ok(grid.every((g) => g.x >= 0 && g.x + g.w <= 24), 'panels fit in 24 columns');
  });

  test('promtool parses every dashboard query, variables substituted', async () => {
    const vars = { job: 'docker-fleet', host: 'web-01|web-02', container: 'api', __rate_interval: '1m' };
    const queries = panelQueries(buildDashboard());
    const rules = queries.map((q, i) => ({ record: `dashboard_query_${i}`, expr: substitute(q.expr, vars) }));
    const file = join(tmp, 'dashboard-queries.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = await promtool('check', 'rules', file);
    const failed = [...r.output.matchAll(/dashboard_query_(\d+)/g)].map((m) => queries[Number(m[1])]!.key);
    assert.equal(r.code, 0, `promtool rejects: ${failed.join(', ')}\n${r.output}`);
  });

  test('substitute() refuses a variable it has no value for', () => {
    assert.equal(substitute('rate(x{host=~"$host"}[$__rate_interval])', { host: 'a|b', __rate_interval: '1m' }), 'rate(x{host=~"a|b"}[1m])');
    assert.throws(() => substitute('x{name=~"$container"}', { host: 'a' }), /\$container/);
  });
});
