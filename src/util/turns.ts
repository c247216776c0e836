// Spreads a burst of requests over event-loop turns. A fleet-wide scrape starts thousands of
// Engine API calls at once (every host's list answers at about the same moment); made in one
// go they block the loop for hundreds of ms (measured at M: ~600 ms on a loaded 2-core box).
// Released PER_TURN at a time, with I/O and timers running in between.

/** Requests started per event-loop turn; ~30-100 us each. */
const PER_TURN = 32;

const waiting: (() => void)[] = [];
let startedThisTurn = 0;
let scheduled = false;

function nextTurn(): void {
  scheduled = false;
  startedThisTurn = 0;
  const batch = waiting.splice(0, PER_TURN);
  startedThisTurn = batch.length;
  for (const go of batch) go();
  if (waiting.length > 0 || startedThisTurn > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(nextTurn);
}

/** undefined: go now; else a promise that resolves in a later turn (first come, first served). */
export function requestTurn(): Promise<void> | undefined {
  if (waiting.length === 0 && startedThisTurn < PER_TURN) {
    startedThisTurn++;
    schedule();
    return undefined;
  }
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    schedule();
  });
}
