import type { Histogram } from '../model.ts';

/** The seed's buckets: start 0.5 s, factor 1.5, 14 buckets. */
export const PROBE_BUCKETS: readonly number[] = Array.from({ length: 14 }, (_, i) => 0.5 * 1.5 ** i);

export function newHistogram(bounds: readonly number[] = PROBE_BUCKETS): Histogram {
  return { bounds, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}

export function observe(h: Histogram, value: number): void {
  let i = 0;
  while (i < h.bounds.length && value > h.bounds[i]!) i++;
  h.counts[i]!++;
  h.sum += value;
  h.count++;
}
