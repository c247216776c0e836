// A minimal writer of the Prometheus text format (0.0.4). Families write straight into it:
// at fleet scale, building a label object per series for a client library costs more than
// the whole rest of a scrape (measured: 100k series, prom-client ~1 s, this ~0.25 s).

export type MetricType = 'gauge' | 'counter' | 'histogram' | 'untyped';

/** Text is gathered in a string this long, then encoded: one Buffer per chunk, not per line. */
const CHUNK_CHARS = 64 * 1024;

export class Exposition {
  // Measured at 100k series: an array of line strings joined at the end spent more time in
  // join (flattening 100k cons strings) and GC than in everything else; chunks are ~2x faster.
  #chunks: Buffer[] = [];
  #acc = '';
  #names = new Set<string>();

  /** HELP and TYPE lines; each name once per exposition, its samples right after. */
  family(name: string, type: MetricType, help: string): void {
    if (this.#names.has(name)) throw new Error(`metric ${name} written twice`);
    this.#names.add(name);
    this.#acc += `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
  }

  /** `labels` is pre-rendered label text without braces (may be empty). NaN writes nothing. */
  sample(name: string, labels: string, value: number): void {
    if (Number.isNaN(value)) return;
    this.#acc += labels === '' ? `${name} ${formatValue(value)}\n` : `${name}{${labels}} ${formatValue(value)}\n`;
    if (this.#acc.length >= CHUNK_CHARS) this.#flush();
  }

  /** Text already in the exposition format (prom-client's own metrics), appended as is. */
  raw(text: string): void {
    this.#acc += text;
    this.#flush();
  }

  #flush(): void {
    if (this.#acc === '') return;
    this.#chunks.push(Buffer.from(this.#acc, 'utf8'));
    this.#acc = '';
  }

  /** The exposition as UTF-8, ready to send. */
  toBuffer(): Buffer {
    this.#flush();
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  toString(): string {
    return this.toBuffer().toString('utf8');
  }
}

export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** `a="x",b="y"` from pairs, values escaped. */
export function labelText(pairs: readonly (readonly [string, string])[]): string {
  let out = '';
  for (const [k, v] of pairs) out += `${out === '' ? '' : ','}${k}="${escapeLabelValue(v)}"`;
  return out;
}

export function joinLabels(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a},${b}`;
}
