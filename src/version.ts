import { readFileSync } from 'node:fs';

/** From package.json, found from both src/ (tsx) and dist/src/ (compiled). */
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'docker-fleet-exporter' && pkg.version) return pkg.version;
    } catch {
      /* try the next location */
    }
  }
  return 'unknown';
}

export const VERSION = readVersion();
