// The exposition's 256 KiB output buffers, kept for the next render once every response that
// sent a body is done with it. Each was a new allocation outside the V8 heap: at L (75 MB per
// body) every scrape added 300 of them, and V8 answers that much external memory with full
// collections (one 76 ms pause in a render).

export class ChunkPool {
  #free: Buffer[] = [];

  constructor(
    readonly chunkBytes: number,
    /** at most this many kept while unused (the largest body's worth is what the next render needs) */
    private readonly maxFree: number,
  ) {}

  take(): Buffer {
    // Slow: a buffer of its own, never a slice of Node's shared 8 KiB pool
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes);
  }

  /**
   * A body's pieces back, once nothing reads them any more (every response that sent them has
   * closed). Pieces not cut from a pool-sized buffer (a longer piece's own) are left to the GC.
   */
  give(pieces: readonly Buffer[]): void {
    for (const p of pieces) {
      if (this.#free.length >= this.maxFree) return;
      if (p.byteOffset === 0 && p.buffer.byteLength === this.chunkBytes) this.#free.push(Buffer.from(p.buffer, 0, this.chunkBytes));
    }
  }

  /** buffers kept, for tests */
  get size(): number {
    return this.#free.length;
  }
}
