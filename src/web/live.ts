// The web config as the server uses it: loaded once at start (errors there stop the process),
// then checked again at every request and every new connection by stat()ing the file and the
// files it names (a few microseconds; exporter-toolkit re-reads the whole file each time). A
// change is loaded at once; a broken file fails closed: every request but /-/healthy is
// answered 500 until it is fixed, logged once per change, and new TLS connections keep the
// last good certificate and client policy. Switching TLS on or off takes a restart (the
// listeners were made for one or the other), so that change counts as broken too.
import { statSync } from 'node:fs';
import type { Logger } from '../log.ts';
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

/** The file and the certificate, key and CA files it names (those read even when something else is wrong). */
function load(file: string): { files: string[]; result: WebLoad } {
  const parsed = readWebConfig(file);
  if (!parsed.ok) return { files: [file], result: parsed };
  const { config, warnings } = parsed;
  const files = [file, ...(config.tls === undefined ? [] : tlsFiles(config.tls))];
  const state: WebState = { config };
  if (config.tls !== undefined) {
    const tls = buildTlsSettings(config.tls);
    if (!tls.ok) return { files, result: tls };
    state.tls = tls.settings;
  }
  if (config.rateLimit !== undefined) state.limiter = new TokenBucket(config.rateLimit.intervalMs, config.rateLimit.burst);
  return { files, result: { ok: true, state, warnings } };
}

/** What changes when a file is rewritten, replaced (new inode) or removed. */
function signature(files: readonly string[]): string {
  return files
    .map((f) => {
      const s = statSync(f, { bigint: true, throwIfNoEntry: false });
      return s === undefined ? 'none' : `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    })
    .join('|');
}

export type WebCurrent = { ok: true; state: WebState } | { ok: false; errors: string[] };

export class LiveWebConfig {
  readonly file: string;
  /** fixed at start: whether the listeners speak TLS */
  readonly tlsEnabled: boolean;
  readonly auth = new BasicAuth();
  readonly #log: Logger;
  #files: string[];
  #signature: string;
  #good: WebState;
  #broken: string[] | undefined;
  /** reloads that succeeded (for tests) */
  reloads = 0;

  private constructor(file: string, files: string[], state: WebState, log: Logger) {
    this.file = file;
    this.#files = files;
    this.#signature = signature(files);
    this.#good = state;
    this.tlsEnabled = state.tls !== undefined;
    this.#log = log;
  }

  /** Loads `file`; its errors (each naming the key) are the caller's to print before exiting. */
  static open(file: string, log: Logger): { ok: true; live: LiveWebConfig; warnings: string[] } | { ok: false; errors: string[] } {
    const { files, result } = load(file);
    if (!result.ok) return result;
    return { ok: true, live: new LiveWebConfig(file, files, result.state, log), warnings: result.warnings };
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
    const now = signature(this.#files);
    if (now === this.#signature) return;
    const { files, result } = load(this.file);
    // The signature taken before reading: a file that changes while it is read differs from it
    // and is loaded again next time. A new list of files has none yet: the next check loads again.
    this.#signature = files.join('\0') === this.#files.join('\0') ? now : '';
    this.#files = files;
    if (!result.ok) return this.#fail(result.errors);
    if ((result.state.tls !== undefined) !== this.tlsEnabled) {
      return this.#fail([this.tlsEnabled ? 'tls_server_config no longer enables TLS: turning TLS off takes a restart' : 'tls_server_config now enables TLS: turning TLS on takes a restart']);
    }
    const old = this.#good;
    // An unchanged rate limit keeps its bucket: a reload must not hand out a fresh burst.
    const sameLimit = old.limiter !== undefined && JSON.stringify(old.config.rateLimit) === JSON.stringify(result.state.config.rateLimit);
    if (sameLimit) result.state.limiter = old.limiter;
    this.#good = result.state;
    this.auth.forgetOthers(result.state.config.users);
    this.reloads++;
    this.#log.info({ file: this.file, warnings: result.warnings.length > 0 ? result.warnings : undefined, recovered: this.#broken !== undefined || undefined }, 'web config reloaded');
    this.#broken = undefined;
  }

  #fail(errors: string[]): void {
    if (this.#broken?.join('\n') !== errors.join('\n')) {
      this.#log.error({ file: this.file, errors }, 'web config invalid; answering 500 until it is fixed');
    }
    this.#broken = errors;
  }
}
