// A JSON reader fed the body chunk by chunk as it arrives, that builds nothing: it hands each
// token to a handler that keeps what it needs. Time is linear in the bytes and each chunk costs
// only its own bytes (a socket read is at most 64 KiB: well under a millisecond), memory is the
// nesting stack and one bounded string. JSON.parse of a whole /system/df body instead held it
// and built every item: a 7.2 MiB body of `{}` items took 1.2 s and +186 MiB of heap.

export type JsonScalar = string | number | boolean | null;

export interface JsonHandler {
  startObject(): void;
  endObject(): void;
  startArray(): void;
  endArray(): void;
  /** a member's name; undefined when longer than `maxString` bytes */
  key(name: string | undefined): void;
  /** a string longer than `maxString` bytes is handed over as undefined */
  value(v: JsonScalar | undefined): void;
}

export class JsonStreamError extends Error {}

const enum Mode {
  Value,
  ValueOrEnd,
  Key,
  KeyOrEnd,
  Colon,
  CommaOrEnd,
  Done,
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function isNumberByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45;
}

export class JsonStreamReader {
  readonly #h: JsonHandler;
  readonly #maxDepth: number;
  readonly #maxString: number;
  /** true: object, false: array */
  readonly #stack: boolean[] = [];
  #mode = Mode.Value;
  /** inside a string: is it a key, the bytes kept so far (undefined past maxString), an escape pending */
  #str: { key: boolean; parts: Buffer[]; kept: number; escaped: boolean; over: boolean } | undefined;
  /** inside a number or a literal (true, false, null): its text so far */
  #word: string | undefined;
  #offset = 0;

  constructor(handler: JsonHandler, limits: { maxDepth: number; maxString: number }) {
    this.#h = handler;
    this.#maxDepth = limits.maxDepth;
    this.#maxString = limits.maxString;
  }

  /** Throws JsonStreamError at the first byte that is not JSON, or past the depth cap. */
  write(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#str) {
        i = this.#string(chunk, i);
        continue;
      }
      const b = chunk[i]!;
      if (this.#word !== undefined) {
        if (isNumberByte(b) || (b >= 0x61 && b <= 0x7a)) {
          if (this.#word.length > 64) this.#fail(i, 'a number or literal longer than 64 characters');
          this.#word += String.fromCharCode(b);
          i++;
          continue;
        }
        this.#endWord(i);
        continue; // the byte is read again in the new mode
      }
      if (isSpace(b)) {
        i++;
        continue;
      }
      this.#token(b, i);
      i++;
    }
    this.#offset += n;
  }

  /** The body is over: throws when it was not one whole JSON value. */
  end(): void {
    if (this.#word !== undefined) this.#endWord(0);
    if (this.#mode !== Mode.Done || this.#str) throw new JsonStreamError(`truncated JSON: the body ended at byte ${this.#offset}`);
  }

  #fail(i: number, what: string): never {
    throw new JsonStreamError(`not JSON at byte ${this.#offset + i}: ${what}`);
  }

  #token(b: number, i: number): void {
    switch (this.#mode) {
      case Mode.Done:
        return this.#fail(i, 'more after the value');
      case Mode.Colon:
        if (b !== 0x3a) this.#fail(i, 'expected ":"');
        this.#mode = Mode.Value;
        return;
      case Mode.Key:
      case Mode.KeyOrEnd:
        if (b === 0x7d && this.#mode === Mode.KeyOrEnd) return this.#close(true, i);
        if (b !== QUOTE) this.#fail(i, 'expected a member name');
        this.#str = { key: true, parts: [], kept: 0, escaped: false, over: false };
        return;
      case Mode.CommaOrEnd:
        if (b === 0x2c) {
          this.#mode = this.#stack[this.#stack.length - 1] ? Mode.Key : Mode.Value;
          return;
        }
        if (b === 0x7d || b === 0x5d) return this.#close(b === 0x7d, i);
        return this.#fail(i, 'expected "," or the end of the object or array');
      case Mode.ValueOrEnd:
      case Mode.Value:
        if (b === 0x5d && this.#mode === Mode.ValueOrEnd) return this.#close(false, i);
        if (b === 0x7b || b === 0x5b) {
          if (this.#stack.length >= this.#maxDepth) this.#fail(i, `nested deeper than ${this.#maxDepth} levels`);
          const object = b === 0x7b;
          this.#stack.push(object);
          this.#mode = object ? Mode.KeyOrEnd : Mode.ValueOrEnd;
          if (object) this.#h.startObject();
          else this.#h.startArray();
          return;
        }
        if (b === QUOTE) {
          this.#str = { key: false, parts: [], kept: 0, escaped: false, over: false };
          return;
        }
        if (isNumberByte(b) || b === 0x74 || b === 0x66 || b === 0x6e) {
          this.#word = String.fromCharCode(b);
          return;
        }
        return this.#fail(i, 'expected a value');
    }
  }

  #close(object: boolean, i: number): void {
    if (this.#stack.pop() !== object) this.#fail(i, 'mismatched bracket');
    if (object) this.#h.endObject();
    else this.#h.endArray();
    this.#afterValue();
  }

  #afterValue(): void {
    this.#mode = this.#stack.length === 0 ? Mode.Done : Mode.CommaOrEnd;
  }

  #endWord(i: number): void {
    const w = this.#word!;
    this.#word = undefined;
    let v: JsonScalar;
    if (w === 'true') v = true;
    else if (w === 'false') v = false;
    else if (w === 'null') v = null;
    else if (NUMBER.test(w)) v = Number(w);
    else return this.#fail(i, `"${w.slice(0, 20)}" is not a value`);
    this.#h.value(v);
    this.#afterValue();
  }

  /** Reads string bytes from `i`; returns where it stopped (past the closing quote, or the chunk's end). */
  #string(chunk: Buffer, i: number): number {
    const s = this.#str!;
    const n = chunk.length;
    let j = i;
    // Native searches for the closing quote and for escapes; each byte is searched once.
    let q = chunk.indexOf(QUOTE, j);
    for (;;) {
      if (s.escaped) {
        if (j >= n) break;
        s.escaped = false;
        j++;
        if (q >= 0 && q < j) q = chunk.indexOf(QUOTE, j); // the quote found was the escaped one
        continue;
      }
      const bs = chunk.subarray(j, q < 0 ? n : q).indexOf(BACKSLASH);
      if (bs >= 0) {
        s.escaped = true;
        j += bs + 1;
        continue;
      }
      if (q < 0) {
        j = n;
        break;
      }
      this.#keep(chunk.subarray(i, q));
      this.#str = undefined;
      this.#endString(s);
      return q + 1;
    }
    this.#keep(chunk.subarray(i, j));
    return j;
  }

  #keep(bytes: Buffer): void {
    const s = this.#str!;
    if (s.over || bytes.length === 0) return;
    if (s.kept + bytes.length > this.#maxString) {
      s.over = true;
      s.parts = [];
      return;
    }
    // copied: a view would keep the whole socket chunk alive
    s.parts.push(Buffer.from(bytes));
    s.kept += bytes.length;
  }

  #endString(s: { key: boolean; parts: Buffer[]; over: boolean }): void {
    let text: string | undefined;
    if (!s.over) {
      const raw = s.parts.length === 1 ? s.parts[0]! : Buffer.concat(s.parts);
      const utf8 = raw.toString('utf8');
      if (raw.includes(BACKSLASH)) {
        try {
          text = JSON.parse(`"${utf8}"`) as string;
        } catch {
          this.#fail(0, 'a bad escape in a string');
        }
      } else {
        text = utf8;
      }
    }
    if (s.key) {
      this.#h.key(text);
      this.#mode = Mode.Colon;
    } else {
      this.#h.value(text);
      this.#afterValue();
    }
  }
}
