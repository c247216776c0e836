// docs/metrics.md's reference: every metric each registered family writes (name, type, help from
// its HELP and TYPE lines, labels from its series for the fixture host), and the exporter's own
// metrics as the built exporter serves them on /metrics.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registeredFamilies } from '../../src/metrics/families/index.ts';
import { Exposition } from '../../src/metrics/exposition.ts';
import { LabelCache } from '../../src/metrics/label-cache.ts';
import { CONTAINER_LABEL, STATIC_LABELS, fixtureHost } from './metrics-fixture.ts';

export interface MetricDoc {
  name: string;
  type: string;
  help: string;
  /** label names besides the host's static labels */
  labels: string[];
  family: string;
}

interface Parsed {
  name: string;
  type: string;
  help: string;
  labels: Set<string>;
  samples: number;
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/** The families of an exposition in order, with the label names of their samples. */
export function parseExposition(text: string): Parsed[] {
  const byName = new Map<string, Parsed>();
  const entry = (name: string): Parsed => {
    let p = byName.get(name);
    if (!p) byName.set(name, (p = { name, type: 'untyped', help: '', labels: new Set(), samples: 0 }));
    return p;
  };
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const p = entry(meta[2]!);
      if (meta[1] === 'HELP') p.help = meta[3]!.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      else p.type = meta[3]!;
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!sample) throw new Error(`not a sample line: ${line}`);
    let name = sample[1]!;
    if (!byName.has(name)) {
      const base = HISTOGRAM_SUFFIXES.map((s) => (name.endsWith(s) ? name.slice(0, -s.length) : '')).find((b) => b !== '' && byName.has(b));
      if (base === undefined) throw new Error(`a sample of ${name} without HELP or TYPE`);
      name = base;
    }
    const p = entry(name);
    p.samples++;
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) p.labels.add(m[1]!);
  }
  return [...byName.values()];
}

const containerLabel = `container_label_${CONTAINER_LABEL.replace(/[^a-zA-Z0-9_]/g, '_')}`;

function labelNames(p: Parsed): string[] {
  const out: string[] = [];
  for (const l of p.labels) {
    if (l in STATIC_LABELS || (l === 'le' && p.type === 'histogram')) continue;
    out.push(l === containerLabel ? 'container_label_<name>' : l);
  }
  return out;
}

/** What each registered family writes for the fixture host, in registration order. */
export function familyMetrics(): MetricDoc[] {
  const docs: MetricDoc[] = [];
  for (const family of registeredFamilies()) {
    const cache = new LabelCache();
    const collector = family.create({ containerLabels: [CONTAINER_LABEL], labels: cache });
    const out = new Exposition();
    const render = cache.begin();
    const pauses = collector.collect([fixtureHost()], out, render);
    if (pauses) for (const _ of pauses);
    render.end();
    for (const p of parseExposition(Buffer.concat(out.toChunks()).toString('utf8'))) {
      if (p.samples === 0) throw new Error(`${p.name} (family ${family.name}) has no series for the fixture host: give scripts/docs/metrics-fixture.ts what it needs`);
      docs.push({ name: p.name, type: p.type, help: p.help, labels: labelNames(p), family: family.name });
    }
  }
  return docs;
}

function scrape(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}

/**
 * The exporter's own metrics: the built exporter (dist/, `npm run build`) started with one host
 * that cannot be reached, its /metrics less what the families write.
 */
export async function selfMetrics(repo: string, familyNames: ReadonlySet<string>): Promise<MetricDoc[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-docs-'));
  const config = join(dir, 'fleet.yml');
  writeFileSync(config, `hosts:\n  - name: nowhere\n    url: unix://${join(dir, 'no.sock')}\n    events: false\ncollection:\n  disk_interval: 0s\n`);
  const child = spawn(process.execPath, [join(repo, 'dist/src/cli.js'), `--config.file=${config}`, '--web.listen-address=127.0.0.1:0', '--log.format=json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`the exporter did not listen within 10 s: ${log}`)), 10_000);
      child.stderr.on('data', (c: Buffer) => {
        log += c.toString();
        const m = /"port":(\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`the exporter exited (${code}): ${log}`)));
    });
    const parsed = parseExposition(await scrape(`http://127.0.0.1:${port}/metrics`)).filter((p) => !familyNames.has(p.name));
    const own = parsed.filter((p) => p.name.startsWith('docker_fleet_exporter_'));
    const runtime = parsed.filter((p) => !p.name.startsWith('docker_fleet_exporter_'));
    const docs = own.map((p) => ({ name: p.name, type: p.type, help: p.help, labels: labelNames(p), family: 'exporter' }));
    const prefixes = [...new Set(runtime.map((p) => p.name.split('_')[0]!))].sort();
    if (runtime.length > 0) {
      docs.push({
        name: prefixes.map((p) => `${p}_*`).join(', '),
        type: 'various',
        help: "prom-client's process and Node.js runtime metrics; left out with --web.disable-exporter-metrics.",
        labels: [],
        family: 'exporter',
      });
    }
    return docs;
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Table cell text: pipes escaped, `<` kept from reading as HTML, one line. */
export const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n/g, ' ');

/** The reference tables: one per family, in registration order, then the exporter's own. */
export function metricsTables(docs: readonly MetricDoc[]): string {
  const families = [...new Set(docs.map((d) => d.family))];
  const parts: string[] = [];
  for (const family of families) {
    const title = family === 'exporter'
      ? '### The exporter itself (`/metrics` only, never `/probe`)'
      : `### Family \`${family}\`${registeredFamilies().find((f) => f.name === family)?.optional === false ? ' (always on)' : ''}`;
    parts.push(title, '', '| metric | type | labels | help |', '|---|---|---|---|');
    for (const d of docs.filter((x) => x.family === family)) {
      const labels = d.labels.length === 0 ? '' : d.labels.map((l) => `\`${l}\``).join(', ');
      parts.push(`| \`${d.name}\` | ${d.type} | ${labels} | ${cell(d.help)} |`);
    }
    parts.push('');
  }
  return parts.join('\n').trimEnd();
}
