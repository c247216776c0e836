/** Cumulative histogram state, kept by the tracker and rendered by the host family. */
export interface Histogram {
  /** upper bounds, ascending, without +Inf */
  bounds: readonly number[];
  /** counts per bucket (not cumulative); last slot is +Inf */
  counts: number[];
  sum: number;
  count: number;
}

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

export function copyHistogram(h: Histogram): Histogram {
  return { bounds: h.bounds, counts: [...h.counts], sum: h.sum, count: h.count };
}
