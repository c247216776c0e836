// GET /events for the fake Engine API: a bounded buffer replayed from `since`, live streams kept
// open, events emitted on demand, streams cut on demand. Shaped as dockerd does it
// (daemon/events/events.go, router/system getEvents): the buffer holds the last 256 events,
// `since` is inclusive and only selects from the buffer, live events pass the filter only.
import type http from 'node:http';

export interface FakeEventInput {
  /** container id (Actor.ID) */
  id: string;
  action: string;
  /** Actor.Attributes.name */
  name?: string;
  /** more Actor.Attributes (labels, image, exitCode, ...) */
  attributes?: Record<string, string>;
  /** default: now, strictly after the previous event */
  timeNano?: bigint;
  /** default container */
  type?: string;
}

export interface FakeEvent {
  type: string;
  action: string;
  timeNano: bigint;
  /** the JSON line as sent */
  line: string;
}

interface Subscriber {
  res: http.ServerResponse;
  filter: EventFilter;
}

type EventFilter = (e: FakeEvent) => boolean;

/**
 * A daemon's /events gone hostile, each shape sent for as long as the client reads:
 * - byteChunks: one `lineBytes` line that is not an event, again and again, one byte per HTTP chunk;
 * - nested: `lineBytes` lines of nested arrays ([[[…]]]), again and again;
 * - ids: `bigIds` container events whose ids are `bigIdBytes` long, then `distinctIds` events of
 *   new valid ids each (kept distinct across streams); then the stream ends, and the next one
 *   brings as many new ids again.
 */
export type HostileEvents =
  | { shape: 'byteChunks'; lineBytes: number }
  | { shape: 'nested'; lineBytes: number }
  | { shape: 'ids'; bigIdBytes: number; bigIds: number; distinctIds: number };

function eventLine(id: string, n: bigint): string {
  const t = BigInt(Date.now()) * 1_000_000n + n;
  // no legacy `id` field: the id once, so a long one stays under the line cap
  return `{"Type":"container","Action":"start","Actor":{"ID":"${id}","Attributes":{"name":"c${n}"}},"scope":"local","time":${t / 1_000_000_000n},"timeNano":${t}}\n`;
}

/** The pieces of a hostile /events body (see HostileEvents); `hub` numbers the ids across streams. */
export function* hostileEvents(h: HostileEvents, hub: FakeEventHub): Generator<Buffer | string> {
  if (h.shape === 'byteChunks') {
    const line = Buffer.from(`{"pad":"${'x'.repeat(Math.max(0, h.lineBytes - 11))}"}\n`);
    for (;;) for (let i = 0; i < line.length; i++) yield line.subarray(i, i + 1);
  }
  if (h.shape === 'nested') {
    const depth = Math.max(1, Math.floor((h.lineBytes - 1) / 2));
    const line = Buffer.concat([Buffer.alloc(depth, '['), Buffer.alloc(depth, ']'), Buffer.from('\n')]);
    for (;;) yield line;
  }
  if (h.shape !== 'ids') return;
  for (let i = 0; i < h.bigIds; i++) {
    const n = hub.hostileIds++;
    yield eventLine(n.toString(16).padStart(16, '0') + 'a'.repeat(Math.max(0, h.bigIdBytes - 16)), BigInt(n));
  }
  let batch = '';
  for (let i = 0; i < h.distinctIds; i++) {
    const n = hub.hostileIds++;
    batch += eventLine(n.toString(16).padStart(64, '0'), BigInt(n));
    if (batch.length >= 64 * 1024) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}

export class FakeEventHub {
  /** ids handed out by hostile `ids` streams, so every stream's are new */
  hostileIds = 0;
  /** events kept for `since` replays; dockerd keeps 256 */
  bufferLimit = 256;
  readonly buffer: FakeEvent[] = [];
  /** Date.now() of every /events request served (for measuring reconnect spread), newest last */
  readonly served: number[] = [];
  readonly #subs = new Set<Subscriber>();
  #lastNano = 0n;

  get subscribers(): number {
    return this.#subs.size;
  }

  /** Publishes one event: buffered, and written to every live stream whose filter takes it. */
  emit(input: FakeEventInput): FakeEvent {
    const now = BigInt(Date.now()) * 1_000_000n;
    const timeNano = input.timeNano ?? (now > this.#lastNano ? now : this.#lastNano + 1n);
    if (timeNano > this.#lastNano) this.#lastNano = timeNano;
    const type = input.type ?? 'container';
    const attributes: Record<string, string> = { ...input.attributes };
    if (input.name !== undefined) attributes.name = input.name;
    const image = attributes.image ?? '';
    // The daemon's field order (API < 1.52, with the legacy fields); bigint written by hand.
    const line =
      `{"status":${JSON.stringify(input.action)},"id":${JSON.stringify(input.id)},"from":${JSON.stringify(image)},` +
      `"Type":${JSON.stringify(type)},"Action":${JSON.stringify(input.action)},` +
      `"Actor":{"ID":${JSON.stringify(input.id)},"Attributes":${JSON.stringify(attributes)}},"scope":"local",` +
      `"time":${timeNano / 1_000_000_000n},"timeNano":${timeNano}}\n`;
    const ev: FakeEvent = { type, action: input.action, timeNano, line };
    this.buffer.push(ev);
    if (this.buffer.length > this.bufferLimit) this.buffer.splice(0, this.buffer.length - this.bufferLimit);
    for (const s of this.#subs) if (s.filter(ev)) write(s.res, line);
    return ev;
  }

  /** Writes raw text to every live stream (garbage, half lines). */
  writeRaw(text: string): void {
    for (const s of this.#subs) write(s.res, text);
  }

  /** Cuts every live stream (a dropped connection); returns how many. */
  cut(): number {
    const n = this.#subs.size;
    for (const s of this.#subs) s.res.destroy();
    this.#subs.clear();
    return n;
  }

  /** A daemon restart: streams cut, the buffer gone. */
  restart(): void {
    this.cut();
    this.buffer.length = 0;
  }

  /** Answers GET /events: headers at once, the buffered events from `since`, then live ones. */
  serve(req: http.IncomingMessage, res: http.ServerResponse, headers: Record<string, string>): void {
    this.served.push(Date.now());
    if (this.served.length > 100_000) this.served.splice(0, 50_000);
    const params = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    let filter: EventFilter;
    try {
      filter = parseFilter(params.get('filters'));
    } catch (err) {
      res.writeHead(400, { ...headers, 'Content-Type': 'application/json' });
      res.end(`${JSON.stringify({ message: `invalid filter: ${err instanceof Error ? err.message : String(err)}` })}\n`);
      return;
    }
    const since = parseSince(params.get('since'));
    res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
    res.flushHeaders();
    if (since !== undefined) for (const ev of this.buffer) if (ev.timeNano >= since && filter(ev)) write(res, ev.line);
    const sub: Subscriber = { res, filter };
    this.#subs.add(sub);
    res.on('close', () => this.#subs.delete(sub));
  }
}

function write(res: http.ServerResponse, text: string): void {
  if (!res.destroyed && !res.writableEnded) res.write(text);
}

/** "seconds[.fraction]" as dockerd parses it; absent or empty = no replay. */
function parseSince(v: string | null): bigint | undefined {
  if (v === null || v === '') return undefined;
  const [s = '0', frac = ''] = v.split('.');
  return BigInt(s) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}

/** filters={"type":["container"],"event":[...]} or the map form {"type":{"container":true}}. */
function parseFilter(raw: string | null): EventFilter {
  if (raw === null || raw === '') return () => true;
  const parsed = JSON.parse(raw) as Record<string, unknown>;
  const values = (key: string): string[] | undefined => {
    const v = parsed[key];
    if (v === undefined) return undefined;
    if (Array.isArray(v)) return v.map(String);
    if (v !== null && typeof v === 'object') return Object.keys(v);
    throw new Error(`${key} is neither a list nor a map`);
  };
  const types = values('type');
  const events = values('event');
  // dockerd: a filter naming health_status (or exec_create/exec_start) matches by prefix
  const fuzzy = events?.some((e) => e === 'health_status' || e === 'exec_create' || e === 'exec_start') ?? false;
  return (ev) =>
    (types === undefined || types.includes(ev.type)) &&
    (events === undefined || events.some((e) => (fuzzy ? ev.action.startsWith(e) : ev.action === e)));
}
