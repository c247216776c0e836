// docs/metrics.md and docs/configuration.md hold what the code declares: the families' metrics
// (and the built exporter's own), every key, flag and environment variable. `npm run docs`
// rewrites them; this fails while the committed files differ. Needs dist/ (npm test builds it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generatedDocs, replacePart, REPO_DIR } from '../../scripts/docs/build.ts';

test('the generated references are what the code declares (else: npm run docs)', async () => {
  const docs = await generatedDocs();
  assert.deepEqual([...docs.keys()].sort(), ['docs/configuration.md', 'docs/metrics.md']);
  for (const [file, want] of docs) {
    const got = readFileSync(join(REPO_DIR, file), 'utf8');
    const lines = (t: string) => t.split('\n');
    const differ = lines(want).filter((l, i) => l !== lines(got)[i]).slice(0, 3);
    assert.ok(got === want, `${file} is not what the code declares: run "npm run docs" (first lines that differ: ${differ.join(' / ')})`);
  }
});

test('every metric, key and flag appears in its reference', async () => {
  const docs = await generatedDocs();
  const metrics = docs.get('docs/metrics.md')!;
  for (const name of ['docker_host_up', 'container_cpu_usage_seconds_total', 'container_events_total', 'docker_fleet_exporter_build_info', 'docker_fleet_exporter_web_requests_rejected_total']) {
    assert.match(metrics, new RegExp(`\\| \`${name}\` \\|`), name);
  }
  const config = docs.get('docs/configuration.md')!;
  for (const key of ['`collection.timeout` | `8s`', '`hosts[].tls.ca`', '`hosts[].ssh.keepalive_interval` | `15s`', '`docker_contexts.dir`', '`--web.listen-address` | `DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS` | `:9417`']) {
    assert.ok(config.includes(key), key);
  }
});

test('a document without its markers is an error naming the file and the markers', () => {
  assert.throws(() => replacePart('# no markers\n', 'docs/x.md', 'keys', 'table'), /docs\/x\.md: the markers "<!-- BEGIN keys/);
});
