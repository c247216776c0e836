import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { HostSnapshot } from '../model.ts';
import { ChunkPool } from './chunk-pool.ts';
import { CHUNK_BYTES, Exposition } from './exposition.ts';
import { familyNamed, registeredFamilies, type FamilyName } from './families/index.ts';
import type { Collector, FamilyDescriptor } from './family.ts';
import { LabelCache } from './label-cache.ts';
import { TURN_MS, workTurn } from '../util/turns.ts';


export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The exposition: host snapshots rendered by the enabled families, plus the exporter's own
 * process and build metrics from one prom-client registry. Names never overlap, so the two
 * parts concatenate into one valid exposition.
 */
/**
 * How often nodejs_eventloop_lag_* samples the loop (prom-client's default: 10 ms). Its timer
 * wakes the idle process: at 10 ms, ~200 epoll wakeups and ~6 ms of CPU per idle second here,
 * which at a 3 s scrape interval was ~11 ms per scrape (over 200 us per container of a 50
 * container host; docs/performance.md, "CPU per container on a real engine"). At 100 ms the lag quantiles still see any
 * stall longer than that and cost a tenth.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

export class MetricsRenderer {
  #collectors: Collector[] = [];
  #labels = new LabelCache();
  readonly #self = new Registry();
  /** 512 x 256 KiB: a 128 MB body's worth, more than L (200 hosts x 50 containers) renders */
  readonly #chunks = new ChunkPool(CHUNK_BYTES, 512);

  /**
   * The always-on families, then `families` in their order. `processMetrics`: prom-client's
   * process_* and nodejs_* (off with --web.disable-exporter-metrics).
   */
  constructor(families: readonly FamilyName[], containerLabels: readonly string[], version: string, opts: { processMetrics?: boolean } = {}) {
    this.configure(families, containerLabels);
    if (opts.processMetrics !== false) {
      collectDefaultMetrics({ register: this.#self, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
      // Gauges named *_total: promtool's lint rejects them, and nodejs_active_* carry the same counts.
      for (const name of ['nodejs_active_resources_total', 'nodejs_active_handles_total', 'nodejs_active_requests_total']) {
        this.#self.removeSingleMetric(name);
      }
    }
    new Gauge({
      name: 'docker_fleet_exporter_build_info',
      help: 'docker-fleet-exporter build; the value is always 1.',
      labelNames: ['version', 'nodejs'],
      registers: [this.#self],
    }).set({ version, nodejs: process.version }, 1);
  }

  /**
   * The families from the next render on (a reload's). The label cache starts afresh with them:
   * a render already running keeps the collectors and labels it began with, and the entries of
   * hosts a reload took out go.
   */
  configure(families: readonly FamilyName[], containerLabels: readonly string[]): void {
    const enabled: FamilyDescriptor[] = registeredFamilies().filter((f) => !f.optional);
    for (const name of families) {
      const family = familyNamed(name);
      if (family === undefined || !family.optional) throw new Error(`no metric family "${name}"`);
      enabled.push(family);
    }
    const labels = new LabelCache();
    this.#collectors = enabled.map((f) => f.create({ containerLabels, labels }));
    this.#labels = labels;
  }

  /** Where the exporter's own metrics register (prom-client `registers: [...]`); served on /metrics only. */
  get selfRegistry(): Registry {
    return this.#self;
  }

  /** A body from renderBody() that nothing reads any more: its buffers serve the next render. */
  recycle(body: readonly Buffer[]): void {
    this.#chunks.give(body);
  }

  /** `withSelf`: false for /probe, which serves one target's metrics alone (blackbox style). */
  async render(hosts: readonly HostSnapshot[], withSelf: boolean): Promise<string> {
    return Buffer.concat(await this.renderBody(hosts, withSelf)).toString('utf8');
  }

  /** The same as UTF-8 bytes in pieces, what the HTTP server sends: no copy of a large body as one string or buffer. */
  async renderBody(hosts: readonly HostSnapshot[], withSelf: boolean): Promise<Buffer[]> {
    const out = new Exposition(this.#chunks);
    const collectors = this.#collectors;
    const labels = this.#labels.begin();
    let sliceStart = performance.now();
    for (const c of collectors) {
      const pauses = c.collect(hosts, out, labels);
      if (!pauses) continue;
      // rendered in one piece, M (100k series) blocked the loop for 200+ ms
      for (const _ of pauses) {
        const spent = performance.now() - sliceStart;
        if (spent < TURN_MS) continue;
        await workTurn(spent);
        sliceStart = performance.now();
      }
    }
    labels.end();
    if (withSelf) out.raw(await this.#self.metrics());
    return out.toChunks();
  }
}
