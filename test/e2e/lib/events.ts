// The daemon's own account of its container events (GET /events on its unix socket): what the
// exporter's counts are checked against.
import { request, type IncomingMessage } from 'node:http';

export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  /** as text: JSON numbers lose the last digits */
  timeNano: string;
}

function parseLines(text: string): EngineEvent[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => ({ ...(JSON.parse(l) as EngineEvent), timeNano: /"timeNano":(\d+)/.exec(l)?.[1] ?? '' }));
}

const FILTERS = encodeURIComponent(JSON.stringify({ type: ['container'] }));
const seconds = (t: number) => t.toFixed(6);

/** Container events the daemon still holds between two unix times (seconds). */
export async function pastEvents(socket: string, since: number, until: number): Promise<EngineEvent[]> {
  const path = `/events?since=${seconds(since)}&until=${seconds(until)}&filters=${FILTERS}`;
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, headers: { host: 'docker' }, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(parseLines(body)) : reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** A live stream of the daemon's container events, kept until it ends (a daemon stop ends it). */
export function followEvents(socket: string): { events: EngineEvent[]; ended: Promise<void>; close(): void } {
  const events: EngineEvent[] = [];
  let pending = '';
  let res: IncomingMessage | undefined;
  const req = request({ socketPath: socket, path: `/events?filters=${FILTERS}`, headers: { host: 'docker' } });
  const ended = new Promise<void>((resolve) => {
    req.on('response', (r) => {
      res = r;
      r.setEncoding('utf8');
      r.on('data', (c: string) => {
        pending += c;
        const cut = pending.lastIndexOf('\n');
        if (cut < 0) return;
        events.push(...parseLines(pending.slice(0, cut)));
        pending = pending.slice(cut + 1);
      });
      r.on('close', () => resolve());
      r.on('error', () => resolve());
    });
    req.on('error', () => resolve());
  });
  req.end();
  return { events, ended, close: () => (res ? res.destroy() : req.destroy()) };
}

/** Counts per action of one container's events. */
export function countActions(events: readonly EngineEvent[], id: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) if (e.Actor.ID === id) out[e.Action] = (out[e.Action] ?? 0) + 1;
  return out;
}

/**
 * OOM kills in the daemon's account, independent of the exporter's rule: `die` events of the
 * container with at least one `oom` event since its previous `die` (a run's `oom` can be
 * reported before its `start`). Exact when each run is killed once, which the tests arrange.
 */
export function runsWithOom(events: readonly EngineEvent[], id: string): number {
  let runs = 0;
  let oomInRun = false;
  for (const e of events) {
    if (e.Actor.ID !== id) continue;
    if (e.Action === 'oom') oomInRun = true;
    if (e.Action === 'die' && oomInRun) {
      runs++;
      oomInRun = false;
    }
  }
  return runs;
}

/**
 * OOM kills by the rule the README states: `oom` events of the container less than 1 s apart,
 * up to its next `die` or `start` and at most 10 s long, count once.
 */
export function oomBursts(events: readonly EngineEvent[], id: string): number {
  const abs = (d: bigint) => (d < 0n ? -d : d);
  let kills = 0;
  let kill: { first: bigint; last: bigint } | undefined;
  for (const e of events) {
    if (e.Actor.ID !== id) continue;
    if (e.Action === 'die' || e.Action === 'start') kill = undefined;
    if (e.Action !== 'oom') continue;
    const t = BigInt(e.timeNano);
    if (kill === undefined || abs(t - kill.last) >= 1_000_000_000n || abs(t - kill.first) >= 10_000_000_000n) {
      kills++;
      kill = { first: t, last: t };
    } else if (t > kill.last) kill.last = t;
  }
  return kills;
}

/** Events of both lists, each once (by time, id and action). */
export function union(a: readonly EngineEvent[], b: readonly EngineEvent[]): EngineEvent[] {
  const seen = new Set<string>();
  const out: EngineEvent[] = [];
  for (const e of [...a, ...b]) {
    const key = `${e.timeNano}|${e.Actor.ID}|${e.Action}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out.sort((x, y) => (BigInt(x.timeNano) < BigInt(y.timeNano) ? -1 : 1));
}
