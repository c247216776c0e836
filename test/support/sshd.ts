// A real OpenSSH sshd for tests: 127.0.0.1 on a free port, its own config, host keys,
// authorized_keys, pid file and log in a temp dir. Debian package: openssh-server.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.ts';

const run = promisify(execFile);
export const SSHD_BIN = '/usr/sbin/sshd';

/** True when the OpenSSH server and client tools are installed. */
export function haveOpenSsh(): boolean {
  return existsSync(SSHD_BIN) && existsSync('/usr/bin/ssh-keygen');
}

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface KeyPair {
  /** Private key file. */
  path: string;
  /** "ssh-ed25519 AAAA... comment" */
  pub: string;
  /** As `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/**
 * A key made by ssh-keygen (OpenSSH format), encrypted when a passphrase is given. `kdfRounds`
 * (ssh-keygen -a, default 16) sets the cost of decrypting it: ssh2 needs ~1 s at 16.
 */
export async function makeKey(dir: string, name: string, type: KeyType = 'ed25519', passphrase = '', kdfRounds = 16): Promise<KeyPair> {
  const path = join(dir, name);
  const bits = type === 'rsa' ? ['-b', '2048'] : [];
  await run('ssh-keygen', ['-q', '-t', type, ...bits, '-a', String(kdfRounds), '-N', passphrase, '-C', name, '-f', path]);
  const pub = (await readFile(`${path}.pub`, 'utf8')).trim();
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`]);
  return { path, pub, fingerprint: stdout.split(' ')[1]! };
}

export interface Sshd {
  readonly port: number;
  readonly dir: string;
  readonly user: string;
  readonly logPath: string;
  readonly hostKeys: KeyPair[];
  /** known_hosts lines for this server (`[127.0.0.1]:port type key`). */
  knownHostsLines(): string[];
  authorize(pub: string): Promise<void>;
  /** SSH connections that passed authentication, from the VERBOSE log. */
  acceptedLogins(): Promise<number>;
  /** TCP connections sshd saw, authenticated or not (not counting the readiness probes). */
  connectionsSeen(): Promise<number>;
  /** The log text. */
  log(): Promise<string>;
  /** SIGKILL the listener and every per-connection process: live connections drop at once. */
  kill(): Promise<void>;
  /** Start again on the same port, config and keys. */
  restart(): Promise<void>;
  /** SIGTERM everything and remove the temp dir. */
  stop(): Promise<void>;
}

export interface SshdOptions {
  hostKeyTypes?: KeyType[];
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), 'sshd-test-'));
  dirs.add(dir);
  const port = await freePort();
  const user = userInfo().username;
  const hostKeys: KeyPair[] = [];
  for (const t of opts.hostKeyTypes ?? ['ed25519']) hostKeys.push(await makeKey(dir, `host_${t}`, t));
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, '', { mode: 0o600 });
  const logPath = join(dir, 'sshd.log');
  const configPath = join(dir, 'sshd_config');
  await writeFile(
    configPath,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      ...hostKeys.map((k) => `HostKey ${k.path}`),
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'AllowStreamLocalForwarding yes',
      'X11Forwarding no',
      'PrintMotd no',
      'MaxStartups 100',
      'MaxSessions 100',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // Privilege separation needs this directory when sshd runs as root (Debian creates it at boot).
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  let child: ChildProcess | undefined;
  let starts = 0;
  const start = async () => {
    starts++;
    // -D: stay in the foreground, so the child's pid is the listener's; -E: log to a file.
    const proc = spawn(SSHD_BIN, ['-D', '-f', configPath, '-E', logPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child = proc;
    const pid = proc.pid;
    if (pid !== undefined) {
      running.add(pid);
      proc.once('exit', () => running.delete(pid));
    }
    hookExit();
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', async (code) => {
        const log = await readFile(logPath, 'utf8').catch(() => '');
        reject(new Error(`sshd exited (${code}) during start: ${stderr}${log.split('\n').slice(-5).join('\n')}`));
      }),
    );
    exited.catch(() => {});
    await Promise.race([waitForPort(port, 5000), exited]);
  };
  await start();

  const stopAll = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
    // Per-connection processes are sshd's descendants but in their own sessions (setsid):
    // collect them before the listener dies and they are re-parented.
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const pids = signalTree(proc.pid, signal);
    running.delete(proc.pid);
    await gone;
    for (const pid of pids) await waitGone(pid, 2000);
  };

  const log = () => readFile(logPath, 'utf8').catch(() => '');
  const count = async (re: RegExp) => (await log()).split('\n').filter((l) => re.test(l)).length;

  return {
    port,
    dir,
    user,
    logPath,
    hostKeys,
    knownHostsLines: () => hostKeys.map((k) => `[127.0.0.1]:${port} ${k.pub.split(' ').slice(0, 2).join(' ')}`),
    authorize: (pub) => appendFile(authorizedKeys, pub + '\n'),
    acceptedLogins: () => count(/Accepted publickey for /),
    // Each start's readiness probe is one connection too.
    connectionsSeen: async () => (await count(/Connection from 127\.0\.0\.1 port \d+ on /)) - starts,
    log,
    kill: () => stopAll('SIGKILL'),
    restart: async () => {
      await stopAll('SIGTERM');
      await start();
    },
    stop: async () => {
      await stopAll('SIGTERM');
      await rm(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}


async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** All descendants of `root`, from /proc (Linux). Sync, so an exit handler can use it. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid ...; comm may contain spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

function signalTree(root: number, signal: NodeJS.Signals): number[] {
  const pids = [...descendants(root), root];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  return pids;
}

// sshd outlives a test process that dies without running its after() hooks (a failed
// before(), the runner's timeout): stop every sshd started here when this process goes.
const running = new Set<number>();
const dirs = new Set<string>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const killAll = () => {
    for (const pid of running) signalTree(pid, 'SIGKILL');
    running.clear();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs.clear();
  };
  process.once('exit', killAll);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig); // the default action, now that our listener is gone
    });
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    // A zombie is dead too: its new parent (maybe a container's pid 1) may never reap it.
    if (stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}
