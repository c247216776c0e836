// One line of GET /events: what the exporter keeps of it. Plain data and pure functions.
import type { ContainerEvent } from '../model.ts';
import { isRecord } from '../util/json.ts';

export interface DockerEvent {
  /** full container id */
  id: string;
  /** the daemon's Action, as sent */
  action: string;
  /** the counted name of `action`; undefined for actions outside CONTAINER_EVENTS */
  event: ContainerEvent | undefined;
  /** Actor.Attributes.name: the container name at the time of the event */
  name: string;
  /** Actor.Attributes: the container's labels plus name, image, exitCode, ... */
  attributes: Record<string, string>;
  /** `die` only: Actor.Attributes.exitCode; NaN otherwise */
  exitCode: number;
  /**
   * The daemon's timeNano, exact: read from the line's text, because JSON.parse rounds 19-digit
   * integers to a multiple of 256 ns, and two events 100 ns apart must keep their own keys.
   */
  timeNano: bigint;
  /** what a replay of this event repeats: time, id and action */
  key: string;
}

const TIME_NANO = /"timeNano"\s*:\s*(\d{1,20})\s*[,}]/;
/**
 * A container id as the daemon makes it (64 hex digits). Anything else is no container's: an
 * id of a megabyte would otherwise be kept in the seen keys and the counts.
 */
const CONTAINER_ID = /^[0-9a-f]{64}$/;
const NOT_A_CONTAINER_ID = 'Actor.ID is not a container id (64 hex digits)';
/** A line longer than this has its Actor.ID looked at in its bytes before it is decoded (a real event is 0.3-3 KB). */
export const LONG_EVENT_LINE_BYTES = 64 * 1024;
const ID_KEY = Buffer.from('"ID"');
const QUOTE = 0x22;
const COLON = 0x3a;

/**
 * Why a long line cannot be a container event, read from its bytes: the first "ID" key (Actor.ID
 * in the daemon's field order) holds something else than 64 characters. Decoding a line of a
 * 1 MB id made two 1 MB strings (the line and the id) only to refuse it.
 */
export function refuseLongLine(bytes: Buffer): string | undefined {
  if (bytes.length <= LONG_EVENT_LINE_BYTES) return undefined;
  const key = bytes.indexOf(ID_KEY);
  if (key < 0) return undefined;
  const colon = skipSpace(bytes, key + ID_KEY.length);
  if (bytes[colon] !== COLON) return undefined;
  const open = skipSpace(bytes, colon + 1);
  if (bytes[open] !== QUOTE) return undefined;
  // a container id has no escapes: the next quote ends it
  const close = bytes.indexOf(QUOTE, open + 1);
  return close - open - 1 === 64 ? undefined : NOT_A_CONTAINER_ID;
}

function skipSpace(bytes: Buffer, i: number): number {
  while (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0d) i++;
  return i;
}

/** An action outside the counted ones ("exec_start: <command line>") is kept in its key this long at most. */
const MAX_KEY_ACTION = 128;

/** One JSON line of the stream, or a string saying why it is not a container event we can use. */
export function decodeEvent(line: string): DockerEvent | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (!isRecord(v)) return 'not a JSON object';
  const o = v;
  // The legacy `id`/`status` fields are gone from API 1.52 on; Actor.ID/Action exist since 1.22.
  const actor = isRecord(o.Actor) ? o.Actor : undefined;
  const id = str(actor?.ID) || str(o.id);
  const action = str(o.Action) || str(o.status);
  if (!id || !action) return 'no Actor.ID or Action';
  const type = str(o.Type);
  if (type !== '' && type !== 'container') return 'not a container event (Type)';
  if (!CONTAINER_ID.test(id)) return NOT_A_CONTAINER_ID;

  const timeNano = eventTime(line, o);
  if (timeNano === undefined) return 'no timeNano or time';

  const attributes: Record<string, string> = {};
  const attrs = actor?.Attributes;
  if (isRecord(attrs)) for (const [k, val] of Object.entries(attrs)) if (typeof val === 'string') attributes[k] = val;
  const event = eventName(action);
  const code = event === 'die' && attributes.exitCode !== undefined && /^-?\d+$/.test(attributes.exitCode) ? Number(attributes.exitCode) : NaN;
  const keyAction = event ?? action.slice(0, MAX_KEY_ACTION);
  return { id, action, event, name: attributes.name ?? '', attributes, exitCode: code, timeNano, key: `${timeNano}|${id}|${keyAction}` };
}

/** timeNano exact from the text when it agrees with the parsed value (within its rounding), else the parsed one; else `time`. */
function eventTime(line: string, o: Record<string, unknown>): bigint | undefined {
  const parsed = o.timeNano;
  if (typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0) {
    const m = TIME_NANO.exec(line);
    const exact = m ? BigInt(m[1]!) : undefined;
    if (exact !== undefined && Math.abs(Number(exact) - parsed) <= 4096) return exact;
    return BigInt(Math.trunc(parsed));
  }
  if (typeof o.time === 'number' && Number.isFinite(o.time) && o.time >= 0) return BigInt(Math.trunc(o.time)) * 1_000_000_000n;
  return undefined;
}

/** `health_status: healthy` -> health_status_healthy; actions outside the set -> undefined. */
export function eventName(action: string): ContainerEvent | undefined {
  switch (action) {
    case 'start':
    case 'die':
    case 'oom':
    case 'kill':
    case 'restart':
    case 'destroy':
      return action;
    case 'health_status: healthy':
      return 'health_status_healthy';
    case 'health_status: unhealthy':
      return 'health_status_unhealthy';
    default:
      return undefined;
  }
}

/** A string field, else '' (util/json.ts' str would turn a number id into text). */
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
