// Counts event-loop turns (a setImmediate chain) while a test's work runs.

export interface TurnCounter {
  /** turns counted so far */
  readonly now: number;
  stop(): number;
}

/** Starts counting at the next turn; stop() ends the chain and returns the count. */
export function countTurns(): TurnCounter {
  let turns = 0;
  let counting = true;
  const tick = (): void => {
    turns++;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get now() {
      return turns;
    },
    stop() {
      counting = false;
      return turns;
    },
  };
}
