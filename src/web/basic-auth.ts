// HTTP basic auth against basic_auth_users' bcrypt hashes, as exporter-toolkit checks them, with
// the work bounded: bcrypt runs on a worker thread (bcrypt-worker.ts), one comparison at a time,
// at most `maxPending` waiting (beyond: "busy", 503, without one), and a hash's cost is at most
// MAX_BCRYPT_COST (config.ts). An unknown user is compared against a decoy of the highest cost in
// the file, so that it takes as long as a known user of that cost: timing does not tell which
// users exist (config.ts warns when the costs differ, as timing then tells a user's cost). A
// successful password is remembered so that a scrape every 15 s does not pay bcrypt each time:
// one HMAC-SHA256 of the password per user (under a key made at start), never the password,
// compared in constant time; it is dropped when the user's hash changes in the file.
//
// bcryptjs, not the native `bcrypt`: pure JS (no node-gyp or prebuilt binary in the image), zero
// dependencies, types included, 26M downloads a month.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { compareInWorker, type Compare } from './bcrypt-worker.ts';
import { bcryptCost } from './config.ts';

export type AuthResult = 'ok' | 'denied' | 'busy';

/** The salt and digest of a bcrypt of a random password nobody knows; any cost can go before it. */
const DECOY_BODY = 'cBSlZYeRFxqeT5ip8m/hE.eio.tB19H5L6gFodBLOydVtKIzaVFMC';

interface Remembered {
  hash: string;
  digest: Buffer;
}

export class BasicAuth {
  readonly #key = randomBytes(32);
  readonly #remembered = new Map<string, Remembered>();
  readonly #maxPending: number;
  readonly #compare: Compare;
  /** per users map (one per load of the file): the decoy hash at the highest cost in it */
  readonly #decoys = new WeakMap<ReadonlyMap<string, string>, string>();
  #pending = 0;
  /** bcrypt comparisons run so far (for tests and the debug log) */
  comparisons = 0;

  /** `maxPending`: comparisons waiting or running at once; beyond, a request is answered "busy" without one. */
  constructor(opts: { maxPending?: number; compare?: Compare } = {}) {
    this.#maxPending = opts.maxPending ?? 16;
    this.#compare = opts.compare ?? compareInWorker;
  }

  async check(users: ReadonlyMap<string, string>, authorization: string | undefined): Promise<AuthResult> {
    const creds = parseBasic(authorization);
    if (creds === undefined) return 'denied';
    const hash = users.get(creds.user);
    const digest = this.#digest(creds.password);
    const known = hash === undefined ? undefined : this.#remembered.get(creds.user);
    if (known !== undefined && known.hash === hash && timingSafeEqual(known.digest, digest)) return 'ok';

    if (this.#pending >= this.#maxPending) return 'busy';
    this.#pending++;
    let match: boolean;
    try {
      this.comparisons++;
      match = await this.#compare(creds.password, hash ?? this.#decoy(users));
    } catch {
      match = false; // no worker thread, or a hash bcryptjs cannot read (config.ts lets none through)
    } finally {
      this.#pending--;
    }
    if (!match || hash === undefined) return 'denied';
    this.#remembered.set(creds.user, { hash, digest });
    return 'ok';
  }

  /** Drops what is remembered for users no longer in the file (called on reload). */
  forgetOthers(users: ReadonlyMap<string, string>): void {
    for (const [user, r] of this.#remembered) if (users.get(user) !== r.hash) this.#remembered.delete(user);
  }

  #decoy(users: ReadonlyMap<string, string>): string {
    let decoy = this.#decoys.get(users);
    if (decoy === undefined) {
      let cost = 4;
      for (const h of users.values()) cost = Math.max(cost, bcryptCost(h) || 4);
      decoy = `$2y$${String(cost).padStart(2, '0')}$${DECOY_BODY}`;
      this.#decoys.set(users, decoy);
    }
    return decoy;
  }

  #digest(password: string): Buffer {
    return createHmac('sha256', this.#key).update(password).digest();
  }
}

/** `Basic <base64(user:password)>` as Go's Request.BasicAuth reads it (scheme case-insensitive, split at the first colon). */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const m = /^basic (.*)$/is.exec(header);
  if (m === null) return undefined;
  const b64 = m[1]!;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
