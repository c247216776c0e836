// The one way a file named by the configuration is read (the config file, the web config, TLS
// files, keys, passphrase files, known_hosts, a context's meta.json): regular files only, read
// up to a cap. A plain readFileSync blocks the whole process on a FIFO until something writes to
// it (its size reads 0) and reads a symlink to /dev/zero without end. Here a path is stat()ed
// first (which never opens it), then opened with O_NONBLOCK (a FIFO made in between opens at
// once instead of waiting for a writer) and fstat()ed again, and at most the cap plus one byte
// is read. A failure is a reason to put after the file's name, never the file's contents.
import fs from 'node:fs';
import { errorCode } from './errors.ts';

/** Far above any config, certificate bundle, key or known_hosts a fleet uses (a CA bundle of every public root is ~220 KB). */
export const MAX_CONFIG_FILE_BYTES = 4 << 20;

export type FileRead = { ok: true; data: Buffer } | { ok: false; reason: string };

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

/** What a non-regular file is, for the message. */
function kindOf(s: fs.Stats): string | undefined {
  if (s.isFile()) return undefined;
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSocket()) return 'a socket';
  return 'not a file';
}

function formatBytes(n: number): string {
  return n % (1 << 20) === 0 ? `${n >> 20} MiB` : n % 1024 === 0 ? `${n >> 10} KiB` : `${n} bytes`;
}

const notRegularReason = (kind: string): string => `${kind}, not a regular file`;
const notRegular = (kind: string): FileRead => ({ ok: false, reason: notRegularReason(kind) });
const tooBig = (maxBytes: number): FileRead => ({ ok: false, reason: `larger than ${formatBytes(maxBytes)}, the limit for this file` });

/**
 * Why `file` cannot be read as a regular file now, or undefined when it can. Never opens it:
 * for checks at load time of files read later.
 */
export function unreadableReason(file: string): string | undefined {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    const kind = kindOf(fs.statSync(file));
    return kind === undefined ? undefined : notRegularReason(kind);
  } catch (err) {
    return errorCode(err, 'error');
  }
}

/** `file`'s bytes, or why not ("ENOENT", "a FIFO, not a regular file", "larger than 4 MiB, ..."). */
export function readRegularFile(file: string, maxBytes: number = MAX_CONFIG_FILE_BYTES): FileRead {
  let fd: number | undefined;
  try {
    const before = kindOf(fs.statSync(file));
    if (before !== undefined) return notRegular(before);
    fd = fs.openSync(file, OPEN_FLAGS);
    const s = fs.fstatSync(fd);
    const kind = kindOf(s);
    if (kind !== undefined) return notRegular(kind);
    if (s.size > maxBytes) return tooBig(maxBytes);
    // The size is a hint (the file may grow while read): read to the end, never past the cap.
    let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, s.size + 1));
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        if (length > maxBytes) return tooBig(maxBytes);
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, length * 2 + 4096));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) return tooBig(maxBytes);
    return { ok: true, data: buf.subarray(0, length) };
  } catch (err) {
    return { ok: false, reason: errorCode(err, 'error') };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** readRegularFile as text. */
export function readRegularText(file: string, maxBytes?: number): { ok: true; text: string } | { ok: false; reason: string } {
  const r = readRegularFile(file, maxBytes);
  return r.ok ? { ok: true, text: r.data.toString('utf8') } : r;
}
