// The web config as the server uses it: loaded once at start (errors there stop the process),
// then checked again at every request and every new connection by stat()ing the file and the
// files it names (a few microseconds; exporter-toolkit re-reads the whole file each time). A
// change is loaded at once; a broken file fails closed: every request but /-/healthy is
// answered 500 until it is fixed, logged once per change, and new TLS connections keep the
// last good certificate and client policy. Switching TLS on or off takes a restart (the
// listeners were made for one or the other), so that change counts as broken too; so does a
// file that drops every basic_auth_users entry while auth is on (an emptied or half-written
// file must not open the endpoints; turning auth off is a restart's decision).
import { statSync } from 'node:fs';
import type { Logger } from '../log.ts';
import { errorCode } from '../util/errors.ts';
import { BasicAuth } from './basic-auth.ts';
import { readWebConfig, type WebConfig } from './config.ts';
import { TokenBucket } from './rate-limit.ts';
import { buildTlsSettings, tlsFiles, type TlsSettings } from './tls.ts';

export interface WebState {
  config: WebConfig;
  tls?: TlsSettings;
  limiter?: TokenBucket;
}

export type WebLoad = { ok: true; state: WebState; warnings: string[] } | { ok: false; errors: string[] };

/**
 * What changes when a file is rewritten, replaced (new inode) or removed. Never throws: it runs in
 * the 'connection' handler, where EACCES or ELOOP would be uncaught; the read that follows a
 * changed stamp reports why.
 */
function stamp(file: string): string {
  try {
    const s = statSync(file, { bigint: true, throwIfNoEntry: false });
    return s === undefined ? 'none' : `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (err) {
    return `error:${errorCode(err, 'error')}`;
  }
}

interface Loaded {
  /** the file, then the certificate, key and CA files it names */
  files: string[];
  /** each file's stamp, taken before it was read: a file changed while being read differs from it */
  stamps: string[];
  result: WebLoad;
}

function load(file: string): Loaded {
  const stamps = [stamp(file)];
  const parsed = readWebConfig(file);
  if (!parsed.ok) return { files: [file], stamps, result: parsed };
  const { config, warnings } = parsed;
  const files = [file, ...(config.tls === undefined ? [] : tlsFiles(config.tls))];
  stamps.push(...files.slice(1).map(stamp));
  const state: WebState = { config };
  if (config.tls !== undefined) {
    const tls = buildTlsSettings(config.tls);
    if (!tls.ok) return { files, stamps, result: tls };
    state.tls = tls.settings;
  }
  if (config.rateLimit !== undefined) state.limiter = new TokenBucket(config.rateLimit.intervalMs, config.rateLimit.burst);
  return { files, stamps, result: { ok: true, state, warnings } };
}

/** The tls_server_config keys and the stamps of the files they name. */
function tlsInputsOf(loaded: Loaded, state: WebState): string {
  return JSON.stringify([state.config.tls ?? null, loaded.files.slice(1), loaded.stamps.slice(1)]);
}

export type WebCurrent = { ok: true; state: WebState } | { ok: false; errors: string[] };

export class LiveWebConfig {
  readonly file: string;
  /** fixed at start: whether the listeners speak TLS */
  readonly tlsEnabled: boolean;
  readonly auth = new BasicAuth();
  readonly #log: Logger;
  #files: string[];
  #stamps: string[];
  #good: WebState;
  /** what the good state's TLS settings were built from */
  #goodTlsInputs: string;
  #broken: string[] | undefined;
  /** reloads that succeeded (for tests) */
  reloads = 0;

  private constructor(file: string, loaded: Loaded, state: WebState, log: Logger) {
    this.file = file;
    this.#files = loaded.files;
    this.#stamps = loaded.stamps;
    this.#good = state;
    this.#goodTlsInputs = tlsInputsOf(loaded, state);
    this.tlsEnabled = state.tls !== undefined;
    this.#log = log;
  }

  /** Loads `file`; its errors (each naming the key) are the caller's to print before exiting. */
  static open(file: string, log: Logger): { ok: true; live: LiveWebConfig; warnings: string[] } | { ok: false; errors: string[] } {
    const loaded = load(file);
    if (!loaded.result.ok) return loaded.result;
    return { ok: true, live: new LiveWebConfig(file, loaded, loaded.result.state, log), warnings: loaded.result.warnings };
  }

  /** The state to serve a request with, after reloading if a file changed. */
  current(): WebCurrent {
    this.#refresh();
    return this.#broken === undefined ? { ok: true, state: this.#good } : { ok: false, errors: this.#broken };
  }

  /** The TLS settings for a new connection: the current ones, the last good ones while the file is broken. */
  tlsForConnection(): TlsSettings | undefined {
    this.#refresh();
    return this.#good.tls;
  }

  #refresh(): void {
    if (this.#files.every((f, i) => stamp(f) === this.#stamps[i])) return;
    const loaded = load(this.file);
    const { result } = loaded;
    // TLS inputs (its keys and files) unchanged: keep the same settings, so that connections made
    // under them stay (http/server.ts closes those made under older ones).
    const tlsInputs = result.ok ? tlsInputsOf(loaded, result.state) : '';
    this.#files = loaded.files;
    this.#stamps = loaded.stamps;
    if (!result.ok) return this.#fail(result.errors);
    if ((result.state.tls !== undefined) !== this.tlsEnabled) {
      return this.#fail([this.tlsEnabled ? 'tls_server_config no longer enables TLS: turning TLS off takes a restart' : 'tls_server_config now enables TLS: turning TLS on takes a restart']);
    }
    const old = this.#good;
    if (old.config.users.size > 0 && result.state.config.users.size === 0) {
      return this.#fail(['basic_auth_users lists no user any more: turning basic auth off takes a restart']);
    }
    // An unchanged rate limit keeps its bucket: a reload must not hand out a fresh burst.
    const sameLimit = old.limiter !== undefined && JSON.stringify(old.config.rateLimit) === JSON.stringify(result.state.config.rateLimit);
    if (sameLimit) result.state.limiter = old.limiter;
    if (tlsInputs === this.#goodTlsInputs) result.state.tls = old.tls;
    this.#good = result.state;
    this.#goodTlsInputs = tlsInputs;
    this.auth.forgetOthers(result.state.config.users);
    this.reloads++;
    this.#log.info({ file: this.file, users: result.state.config.users.size, warnings: result.warnings.length > 0 ? result.warnings : undefined, recovered: this.#broken !== undefined || undefined }, 'web config reloaded');
    this.#broken = undefined;
  }

  #fail(errors: string[]): void {
    if (this.#broken?.join('\n') !== errors.join('\n')) {
      this.#log.error({ file: this.file, errors }, 'web config invalid; answering 500 until it is fixed');
    }
    this.#broken = errors;
  }
}
