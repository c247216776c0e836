// Bounds what one stream costs the main thread per event-loop turn. libuv reads a socket up to
// 32 times per turn (2 MiB at 64 KiB a read), so a fast daemon hands over megabytes at once:
// a /system/df body of 64 MiB of `{}` items held /-/healthy for 1 s in 240 ms bursts. Past the
// budget the stream is paused until the next turn: socket backpressure does the rest.

/** Cost of one chunk beyond its bytes (the callback itself: a 1-byte chunk is not free). */
const PER_CHUNK = 256;

/** Call the returned function with each chunk's size as it is handled. */
export function pacePerTurn(stream: { pause(): unknown; resume(): unknown }, budgetBytes: number): (bytes: number) => void {
  let used = 0;
  let scheduled = false;
  let paused = false;
  const nextTurn = (): void => {
    scheduled = false;
    used = 0;
    if (!paused) return;
    paused = false;
    stream.resume();
  };
  return (bytes) => {
    used += bytes + PER_CHUNK;
    if (!scheduled) {
      scheduled = true;
      setImmediate(nextTurn);
    }
    if (used >= budgetBytes && !paused) {
      paused = true;
      stream.pause();
    }
  };
}

/** What a stream may cost per turn: ~1-2 ms of decoding here. */
export const TURN_BUDGET_BYTES = 64 * 1024;
