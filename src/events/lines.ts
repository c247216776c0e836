// The event stream's bytes -> its lines, in time linear in the bytes whatever the chunking: a
// daemon sending a 600 KB line as 1-byte HTTP chunks made the old string splitter rebuild and
// search the pending text at every chunk (2.1 s of CPU for one line).

const NL = 0x0a;

/** Why a line was refused before it was parsed. */
export type LineCap = 'line_bytes' | 'line_depth';

/**
 * Splits a byte stream on '\n'. The unfinished line is copied into one buffer grown by
 * doubling (amortized linear, at most twice `maxBytes`), never kept as a list of the chunks it
 * came in: a million 1-byte chunks would be a million Buffer objects.
 */
export class LineSplitter {
  readonly #maxBytes: number;
  #buf = Buffer.allocUnsafe(0);
  #len = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Hands each complete line (without its '\n') to `onLine`; 'line_bytes' once the unfinished line passes the cap. */
  push(chunk: Buffer, onLine: (line: Buffer) => void): 'line_bytes' | undefined {
    let start = 0;
    for (let nl = chunk.indexOf(NL); nl >= 0; nl = chunk.indexOf(NL, start)) {
      let line = chunk.subarray(start, nl);
      if (this.#len > 0) {
        if (!this.#append(line)) return 'line_bytes';
        line = this.#buf.subarray(0, this.#len);
        this.#len = 0;
      } else if (line.length > this.#maxBytes) {
        return 'line_bytes';
      }
      start = nl + 1;
      onLine(line);
    }
    if (start < chunk.length && !this.#append(chunk.subarray(start))) return 'line_bytes';
    return undefined;
  }

  #append(bytes: Buffer): boolean {
    const need = this.#len + bytes.length;
    if (need > this.#maxBytes) return false;
    if (need > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.#maxBytes, Math.max(need, this.#buf.length * 2, 4096)));
      this.#buf.copy(grown, 0, 0, this.#len);
      this.#buf = grown;
    }
    bytes.copy(this.#buf, this.#len);
    this.#len = need;
    return true;
  }
}

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text nests objects and arrays deeper than `max`, read in one pass that
 * stops at the first level too deep: JSON.parse of a 1 MB line of `[[[…]]]` took ~80 ms of the
 * main thread, where a real event nests 3 levels (the event, Actor, Attributes).
 */
export function nestsDeeperThan(text: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}
