// Reloads, however triggered (SIGHUP, POST|PUT /-/reload): read and validate the whole config
// first; a bad one changes nothing (its problems are logged as at startup, and returned for the
// HTTP answer); a good one is applied. One reload at a time, and the next starts at least
// RELOAD_GAP_MS after one ends: every trigger arriving meanwhile shares that next reload (which
// reads the file as it is then), so a flood of POSTs costs a few loads a second, not one each
// (a load is ~10 ms of the main thread). Its outcome is in the two metrics Prometheus and
// blackbox_exporter name their own this way.
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../log.ts';
import { errorMessage } from '../util/errors.ts';

export type LoadOutcome<C> = { ok: true; config: C; warnings: string[] } | { ok: false; errors: string[] };

export type ReloadResult = { ok: true } | { ok: false; errors: string[] };

export interface ReloaderDeps<C> {
  /** Reads and validates the whole configuration; never throws. */
  load(): LoadOutcome<C>;
  /** Makes a validated configuration the running one; returns what changed, for the log. */
  apply(config: C): Promise<Record<string, unknown>>;
  log: Logger;
  /** where the reload metrics register: the exporter's own */
  registry: Registry;
  /** unix ms; the clock in tests */
  now?: () => number;
  /** the least time from one reload's end to the next one's start (tests) */
  gapMs?: number;
}

export const RELOAD_GAP_MS = 200;

export class Reloader<C> {
  readonly #deps: ReloaderDeps<C>;
  readonly #now: () => number;
  readonly #gapMs: number;
  #running: Promise<void> | undefined;
  /** performance.now() when the last reload ended */
  #endedAt = -Infinity;
  /** the reload to come, shared by every trigger until it starts */
  #next: Promise<ReloadResult> | undefined;
  #successful = 1;
  /** the startup load counts as the first success, as in Prometheus */
  #successAt: number;

  constructor(deps: ReloaderDeps<C>) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#gapMs = deps.gapMs ?? RELOAD_GAP_MS;
    this.#successAt = this.#now() / 1000;
    const self = this;
    new Gauge({
      name: 'docker_fleet_exporter_config_last_reload_successful',
      help: 'Whether the last configuration reload attempt was successful (1) or not (0).',
      registers: [deps.registry],
      collect() {
        this.set(self.#successful);
      },
    });
    new Gauge({
      name: 'docker_fleet_exporter_config_last_reload_success_timestamp_seconds',
      help: 'Unix time of the last successful configuration load (startup or reload).',
      registers: [deps.registry],
      collect() {
        this.set(self.#successAt);
      },
    });
  }

  /** Resolves once a reload that started after this call is done; never rejects. */
  reload(trigger: string): Promise<ReloadResult> {
    this.#next ??= this.#turn().then(() => {
      this.#next = undefined;
      const result = this.#reload(trigger);
      this.#running = result.then(() => {
        this.#running = undefined;
        this.#endedAt = performance.now();
      });
      return result;
    });
    return this.#next;
  }

  /** Resolves when the next reload may start. */
  async #turn(): Promise<void> {
    await this.#running;
    const wait = this.#endedAt + this.#gapMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  async #reload(trigger: string): Promise<ReloadResult> {
    const { log } = this.#deps;
    const loaded = this.#deps.load();
    if (!loaded.ok) {
      this.#successful = 0;
      for (const e of loaded.errors) log.error({ trigger }, `invalid configuration: ${e}`);
      log.error({ trigger, problems: loaded.errors.length }, 'configuration not reloaded: the running one is kept');
      return { ok: false, errors: loaded.errors };
    }
    for (const w of loaded.warnings) log.warn(w);
    try {
      const changes = await this.#deps.apply(loaded.config);
      this.#successful = 1;
      this.#successAt = this.#now() / 1000;
      log.info({ trigger, ...changes }, 'configuration reloaded');
      return { ok: true };
    } catch (err) {
      // a bug of ours: validated configs apply
      this.#successful = 0;
      const message = `applying the configuration failed: ${errorMessage(err)}`;
      log.error({ trigger }, message);
      return { ok: false, errors: [message] };
    }
  }
}
