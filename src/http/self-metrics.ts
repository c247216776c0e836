// The web side's own series, in the self registry (/metrics only, never /probe).
import { Counter, Gauge, type Registry } from 'prom-client';

export interface WebMetrics {
  readonly rejected: Counter;
  readonly writeTimeouts: Counter;
  readonly evicted: Counter;
}

/** `inFlight` is read at each scrape of the self metrics. */
export function registerWebMetrics(registry: Registry, inFlight: () => number): WebMetrics {
  const registers = [registry];
  new Gauge({
    name: 'docker_fleet_exporter_web_requests_in_flight',
    help: '/metrics and /probe requests being answered (limited by --web.max-requests).',
    registers,
    collect() {
      this.set(inFlight());
    },
  });
  return {
    rejected: new Counter({
      name: 'docker_fleet_exporter_web_requests_rejected_total',
      help: '/metrics and /probe requests answered 503 because --web.max-requests were in flight.',
      registers,
    }),
    writeTimeouts: new Counter({
      name: 'docker_fleet_exporter_web_write_timeouts_total',
      help: 'Responses cut off because the client had not taken them within --web.write-timeout.',
      registers,
    }),
    evicted: new Counter({
      name: 'docker_fleet_exporter_web_slow_readers_evicted_total',
      help: 'Responses cut off because --web.max-requests responses were being sent and this one had been sending longest.',
      registers,
    }),
  };
}
