// The one place for the thresholds, windows and selectors of the alert rules, the recording rules
// and the dashboard. Change a value here, then run `npm run monitoring` to rewrite alerts.yml,
// rules.yml, dashboard.json and the alert table in docs/dashboards.md (a test fails while they differ).

export interface MonitoringConfig {
  /** Label matchers added to every exporter selector, e.g. `job="docker-fleet"`; '' for none. */
  selector: string;
  /** Where monitoring/README.md is served (point it at your copy): alerts link to
   *  `<runbookUrl>#<alert name in lower case>`. */
  runbookUrl: string;
  /** rate() window of the recording rules: at least 4 scrape intervals. */
  recordingRateWindow: string;
  hostDown: { for: string };
  snapshotStale: { maxAgeSeconds: number; for: string };
  probeTimeouts: { window: string; max: number };
  unhealthy: { for: string };
  crashLooping: { window: string; maxRestarts: number };
  oomKilled: { window: string };
  exitedNonZero: { for: string };
  memoryNearLimit: { ratio: number; for: string };
  cpuThrottled: { window: string; ratio: number; for: string };
  sshReconnecting: { window: string; max: number };
  sshDisconnected: { for: string };
  configReloadFailed: { for: string };
  diskReclaimable: { bytes: number; for: string };
}

export const config: MonitoringConfig = {
  selector: '',
  runbookUrl: 'monitoring/README.md',
  recordingRateWindow: '2m',
  hostDown: { for: '2m' },
  // The default collection.max_staleness is 60s: past it a host's container series are dropped.
  snapshotStale: { maxAgeSeconds: 60, for: '2m' },
  // A scrape served without waiting for its probe: more than 3 in 15m (5% at a 15s interval).
  probeTimeouts: { window: '15m', max: 3 },
  // Docker's own --health-retries already debounce the status.
  unhealthy: { for: '1m' },
  crashLooping: { window: '15m', maxRestarts: 3 },
  oomKilled: { window: '15m' },
  // Long enough to skip the moment between a failure and Docker's restart.
  exitedNonZero: { for: '5m' },
  memoryNearLimit: { ratio: 0.9, for: '5m' },
  cpuThrottled: { window: '5m', ratio: 0.25, for: '10m' },
  sshReconnecting: { window: '15m', max: 2 },
  sshDisconnected: { for: '5m' },
  configReloadFailed: { for: '5m' },
  diskReclaimable: { bytes: 20 * 2 ** 30, for: '30m' },
};
