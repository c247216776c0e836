// A probe's per-container calls: inspects first (few after the first probe, and milliseconds
// each), then stats, whose bodies go to the parser in one batch. Run together they would need
// two sockets per container at once, and at fleet scale file descriptors run out (measured: 200
// hosts x 50 containers hit a 20k limit on the first probe).
import { decodeInspect, type ListEntry } from '../docker/decode.ts';
import { EngineError, type EngineClient } from '../docker/engine-client.ts';
import type { Marked } from '../events/host-events.ts';
import { F, FIELD_COUNT, type ParseResult } from '../stats/layout.ts';
import { observe } from '../util/histogram.ts';
import { requestTurn } from '../util/turns.ts';
import type { ContainerTracker } from './container-tracker.ts';
import type { ProbeNotes } from './probe-notes.ts';

/** Turns raw stats bodies into samples; the worker pool in production. */
export interface StatsParser {
  /** Rejects, or fails the bodies not parsed, at `deadline` (unix ms). */
  parse(bodies: Uint8Array[], deadline: number): Promise<ParseResult>;
}

export type Tracked = [ListEntry, ContainerTracker][];

export interface PhaseDeps {
  client: EngineClient;
  parser: StatsParser;
  notes: ProbeNotes;
}

/** Inspects what may have changed (ContainerTracker.needsInspect); `marked`: what the event stream saw. */
export async function inspectPhase({ client, notes }: PhaseDeps, tracked: Tracked, marked: Marked | undefined, timeoutMs: number): Promise<void> {
  const now = Date.now();
  await Promise.all(
    tracked.map(async ([entry, t]) => {
      if (!t.needsInspect(entry, now, marked === 'all' || marked?.has(entry.id) === true)) return;
      await requestTurn();
      const start = performance.now();
      try {
        t.setInspect(decodeInspect(await client.inspect(entry.id, timeoutMs)), entry, now);
      } catch (err) {
        notes.containerFailed(t, err);
      } finally {
        observe(notes.counters.inspectDuration, (performance.now() - start) / 1000);
      }
    }),
  );
}

/**
 * One stats call per running or paused container, ending after `timeoutMs`; then one parse of
 * every body, ending at `parseDeadline` (unix ms): a daemon's bodies must not keep a worker (or
 * the main thread) from the other hosts.
 */
export async function statsPhase({ client, parser, notes }: PhaseDeps, tracked: Tracked, timeoutMs: number, parseDeadline: () => number): Promise<void> {
  const wanted: ContainerTracker[] = [];
  const bodies: Uint8Array[] = [];
  await Promise.all(
    tracked.map(async ([entry, t]) => {
      if (entry.state !== 'running' && entry.state !== 'paused') {
        t.setStats(null);
        return;
      }
      await requestTurn();
      const start = performance.now();
      try {
        const body = await client.statsRaw(entry.id, timeoutMs);
        wanted.push(t);
        bodies.push(body);
      } catch (err) {
        notes.containerFailed(t, err);
      } finally {
        observe(notes.counters.statsDuration, (performance.now() - start) / 1000);
      }
    }),
  );
  if (bodies.length === 0) return;

  let parsed: ParseResult;
  try {
    parsed = await parser.parse(bodies, parseDeadline());
  } catch (err) {
    for (const t of wanted) notes.containerFailed(t, err);
    return;
  }
  for (let i = 0; i < wanted.length; i++) {
    const t = wanted[i]!;
    const error = parsed.errors[i];
    if (error) {
      notes.containerFailed(t, new EngineError(`stats: ${error}`));
      continue;
    }
    const values = parsed.values.subarray(i * FIELD_COUNT, (i + 1) * FIELD_COUNT);
    t.setStats({ values, networks: parsed.networks[i] ?? [] });
    notes.droppedInterfaces(t, values[F.droppedInterfaces]!);
  }
}
