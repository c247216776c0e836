// HTTP basic auth against basic_auth_users' bcrypt hashes, as exporter-toolkit checks them:
// bcrypt runs one comparison at a time (it is CPU-bound: bcryptjs, cost 10, ~200 ms here), an
// unknown user is compared against a fixed hash so that timing does not tell which users exist,
// and a successful password is remembered so that a scrape every 15 s does not pay bcrypt each
// time. What is remembered is one HMAC-SHA256 of the password per user (under a key made at
// start), never the password, compared in constant time; it is dropped when the user's hash
// changes in the file.
//
// bcryptjs, not the native `bcrypt`: pure JS (no node-gyp or prebuilt binary in the image), zero
// dependencies, types included, 26M downloads a month; its async compare yields to the event loop
// between rounds, so a comparison never stalls a scrape in flight.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

export type AuthResult = 'ok' | 'denied' | 'busy';

/** bcrypt of a random password nobody knows (cost 10, as htpasswd -nBC 10 makes them). */
const DECOY_HASH = '$2y$10$cBSlZYeRFxqeT5ip8m/hE.eio.tB19H5L6gFodBLOydVtKIzaVFMC';

interface Remembered {
  hash: string;
  digest: Buffer;
}

export class BasicAuth {
  readonly #key = randomBytes(32);
  readonly #remembered = new Map<string, Remembered>();
  readonly #maxPending: number;
  #pending = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** bcrypt comparisons run so far (for tests and the debug log) */
  comparisons = 0;

  /** `maxPending`: comparisons queued at once; beyond, a request is answered "busy" without one. */
  constructor(opts: { maxPending?: number } = {}) {
    this.#maxPending = opts.maxPending ?? 16;
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
    const compared = this.#queue.then(() => {
      this.comparisons++;
      return bcrypt.compare(creds.password, hash ?? DECOY_HASH);
    });
    this.#queue = compared.catch(() => undefined);
    let match: boolean;
    try {
      match = await compared;
    } catch {
      match = false; // a hash bcryptjs cannot read: config.ts lets none through
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
