// The piscina entry point (the design card keeps worker entries in workers/): the parse itself
// is src/stats/parse.ts. The values buffer goes back to the main thread moved, not copied.
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { ParseTask } from '../src/stats/layout.ts';
import { parseBatch } from '../src/stats/parse.ts';

export default function parseStats(task: ParseTask): ReturnType<typeof move> {
  const result = parseBatch(task);
  return move({ [transferableSymbol]: result.values.buffer, [valueSymbol]: result });
}
