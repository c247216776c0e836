// Checks on an exposition's text that several suites share.
import assert from 'node:assert/strict';

/** No two sample lines with the same name and labels. */
export function assertNoDuplicateSeries(body: string): void {
  const seen = new Set<string>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const series = line.slice(0, line.lastIndexOf(' '));
    assert.ok(!seen.has(series), `series written twice: ${series}`);
    seen.add(series);
  }
}
