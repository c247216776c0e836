// bench/results/*.json -> the markdown that results.md and docs/performance.md show, targets included.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChurnResult, EngineResult, TlsResult, WorkloadResult } from './types.ts';

function load<T>(dir: string, name: string): T | undefined {
  const file = join(dir, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

const mark = (ok: boolean): string => (ok ? 'met' : '**missed**');

/** The performance targets (docs/performance.md) for a workload, on the variant shipped as the default, as [text, met] pairs. */
function targets(r: WorkloadResult): [string, boolean][] {
  const key = r.defaultVariant ?? 'pool';
  const p = r.exporter[key];
  const ratio = r.ratios[key];
  // a 10 ms timer late by d ms: the longest turn was at most d + 10 ms
  const turn = (v: WorkloadResult['exporter']['pool']): number => v.eldMaxMs + 10;
  const turns: [string, boolean][] = r.workload === 'S' ? [] : [
    [`longest turn <= 50 ms, both pool settings: <= ${turn(r.exporter.pool)} / ${turn(r.exporter.mainThread)} ms`, Math.max(turn(r.exporter.pool), turn(r.exporter.mainThread)) <= 50],
  ];
  if (r.workload === 'M') {
    return [
      [`scrape p50 <= 1.15 x floor: ${ratio.wall} x`, ratio.wall <= 1.15],
      [`CPU <= 1.5 x floor: ${ratio.cpu} x`, ratio.cpu <= 1.5],
      [`RSS <= 150 MB: ${p.peakRssMb} MB`, p.peakRssMb <= 150],
      ...turns,
    ];
  }
  if (r.workload === 'L') {
    return [
      [`scrape p50 <= 1.5 x floor: ${ratio.wall} x`, ratio.wall <= 1.5],
      [`CPU <= 1.5 x floor: ${ratio.cpu} x`, ratio.cpu <= 1.5],
      [`RSS <= 400 MB: ${p.peakRssMb} MB`, p.peakRssMb <= 400],
      ...turns,
    ];
  }
  return turns;
}

export function renderResults(dir: string): string {
  const rows: string[] = [];
  const goals: string[] = [];
  const runs: WorkloadResult[] = [];
  for (const w of ['S', 'M', 'W', 'L']) {
    const r = load<WorkloadResult>(dir, w);
    if (!r) continue;
    runs.push(r);
    const f = r.floor;
    const line = (what: string, v: WorkloadResult['exporter']['pool'], ratio: { wall: number; cpu: number }): string =>
      `| ${w} | ${what} | ${v.wallP50Ms} / ${v.wallP99Ms} | ${ratio.wall} | ${v.cpuUsPerContainer} | ${ratio.cpu} | ${v.peakRssMb} | ${v.eldP99Ms} / ${v.eldMaxMs} | ${v.series} | ${(v.bodyBytes / 1024).toFixed(0)} |`;
    rows.push(line(`exporter, pool.threads=${/\d+/.exec(r.exporter.pool.threads)?.[0] ?? '?'}${r.defaultVariant === undefined || r.defaultVariant === 'pool' ? ' (default)' : ''}`, r.exporter.pool, r.ratios.pool));
    rows.push(line(`exporter, pool.threads=0${r.defaultVariant === 'mainThread' ? ' (default)' : ''}`, r.exporter.mainThread, r.ratios.mainThread));
    rows.push(`| ${w} | floor (bare client) | ${f.wallP50Ms} / ${f.wallP99Ms} | 1 | ${f.cpuUsPerContainer} | 1 | ${f.peakRssMb} | | | |`);
    for (const [text, ok] of targets(r)) goals.push(`- ${w}: ${text} (${mark(ok)})`);
  }
  const out: string[] = ['# Benchmark results', ''];
  if (runs.length > 0) {
    const r0 = runs[0]!;
    out.push(
      `Simulated fleet (fake Engine API daemons in child processes, unix sockets, no added delay), Node ${r0.node}, ${r0.cpus} CPUs, ${r0.date.slice(0, 10)}.`,
      'S = 1 host x 50 containers, M = 50 x 40, W = 1 x 1,000, L = 200 x 50; all containers running, half the hosts cgroup v1, half v2; collection.concurrency 64.',
      'The floor is a bare node:http keep-alive client that lists every host and fetches and JSON.parses every container\'s stats, nothing else (bench/floor.ts).',
      'CPU is all threads of the process (/proc/<pid>/stat) per container per scrape; ratios are to the floor measured in the same run.',
      'Event-loop delay is measured only while a scrape is being served (beyond the 10 ms monitor period).',
      '',
      '| load | client | scrape p50 / p99 ms | x floor | CPU us / container | x floor | peak RSS MB | ELD p99 / max ms | series | body KiB |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    );
    if (goals.length > 0) out.push('Targets, for the default variant:', '', ...goals, '');
  }
  const churn = load<ChurnResult>(dir, 'churn');
  if (churn) {
    const ok = churn.growth.rss <= 0.1 && churn.growth.heapUsed <= 0.1;
    out.push(
      `Memory under churn (M, ${churn.scrapes} scrapes, ${churn.fractionReplaced * 100}% of containers replaced between scrapes, ${churn.containersReplaced} in all):`,
      `RSS ${churn.after20.rssMb} MB after 20 scrapes, ${churn.end.rssMb} MB at the end (${(churn.growth.rss * 100).toFixed(1)}%);`,
      `heap used ${churn.after20.heapUsedMb} MB -> ${churn.end.heapUsedMb} MB (${(churn.growth.heapUsed * 100).toFixed(1)}%). Within 10%: ${mark(ok)}.`,
      '',
    );
  }
  const tls = load<TlsResult>(dir, 'tls');
  if (tls) {
    const a = tls.afterAllScrapes;
    out.push(
      `TLS (${tls.hosts} hosts x ${tls.containersPerHost} containers, mutual TLS, ${tls.scrapes} scrapes): ${a.requests} requests over ${a.connections} connections, ${a.handshakes} handshakes` +
        ` (after the first scrape: ${tls.afterFirstScrape.connections} connections). One handshake per connection: ${mark(tls.oneHandshakePerConnection)}; connections reused across scrapes: ${mark(tls.connectionsReused)}.`,
      '',
    );
  }
  const engine = load<EngineResult>(dir, 'engine');
  if (engine) {
    out.push(
      `Real engine (dockerd ${engine.serverVersion}, ${engine.containers} running containers, ${engine.scrapes} scrapes): exporter scrape p50 ${engine.exporterWallP50Ms} ms,` +
        ` floor (all one-shot stats calls in parallel) ${engine.floorWallP50Ms} ms: ratio ${engine.ratio} (target <= 1.15: ${mark(engine.ratio <= 1.15)}).`,
      '',
    );
    // the default variant: threads=0 on 1-2 cores, else the pool
    const mainDefault = engine.cpus !== undefined && engine.cpus <= 2;
    // older runs: the families they were measured with
    const families = engine.families ?? ['docker_exporter', 'cadvisor', 'state'];
    const peer = engine.backToBack?.cpuUsPerContainer.peer !== undefined || engine.spaced?.cpuUsPerContainer.peer !== undefined;
    out.push(
      `CPU per container-scrape, all threads; the exporters with metrics.families [${families.join(', ')}] (and host, always on).` +
        (peer ? ' The peer (bench/peer.ts) is a cycle shaped like docker_stats_exporter: dockerode list and stats (not one-shot) of every running container in parallel, eight prom-client gauges each, the registry rendered.' : ''),
      '',
      `| scraped | pool.threads=${engine.cpus ?? '?'}${mainDefault ? '' : ' (default)'} | pool.threads=0${mainDefault ? ' (default)' : ''} | floor | peer | exporter / peer (pool, threads=0) | default <= 1.5 x floor |`,
      '|---|---|---|---|---|---|---|',
    );
    const sp = engine.spaced;
    const reached = sp?.everyMs !== undefined && sp.everyMs > sp.periodMs * 1.05 ? ` (reached: every ${(sp.everyMs / 1000).toFixed(1)} s)` : '';
    const phases = [['back to back', engine.backToBack], [`every ${(sp?.periodMs ?? 0) / 1000} s${reached}`, sp]] as const;
    for (const [name, p] of phases) {
      if (!p) continue;
      const c = p.cpuUsPerContainer;
      const vsPeer = p.exporterToPeer ? `${p.exporterToPeer.pool} x, ${p.exporterToPeer.main} x` : '';
      out.push(
        `| ${name} | ${c.pool} us (${p.cpuRatio.pool} x floor) | ${c.main} us (${p.cpuRatio.main} x) | ${c.floor} us | ${c.peer === undefined ? '' : `${c.peer} us`} | ${vsPeer} | ${mark((mainDefault ? p.cpuRatio.main : p.cpuRatio.pool) <= 1.5)} |`,
      );
    }
    out.push('');
  }
  return `${out.join('\n')}`;
}
