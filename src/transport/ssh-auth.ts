import { readFile, stat } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { SshOptions } from '../config/types.ts';

const { utils } = ssh2;

/** Goes straight into ssh2's connect(); holds a secret, so never log it or put it in an error. */
export interface SshAuth {
  /** The identity file's bytes, checked to decrypt with `passphrase`. */
  privateKey?: Buffer;
  passphrase?: string;
  /** ssh-agent socket path. */
  agent?: string;
  /** What was offered, for messages: "identity_file /x", "ssh-agent /y". Never a secret. */
  offered: string;
}

/**
 * Reads the credentials for one connection attempt (files are re-read on every attempt, so a
 * rotated key is picked up at the next reconnect). The key is decrypted here once, so a wrong
 * passphrase gives our message (naming the file, not the secret) before anything is sent.
 */
export async function loadSshAuth(ssh: SshOptions, env: NodeJS.ProcessEnv = process.env): Promise<SshAuth> {
  const agent = ssh.agent ?? (ssh.identityFile ? undefined : env.SSH_AUTH_SOCK || undefined);
  if (!ssh.identityFile && !agent) {
    throw new Error('no identity_file and no ssh-agent: set ssh.identity_file or ssh.agent, or SSH_AUTH_SOCK');
  }
  const offered: string[] = [];
  let identity: { privateKey: Buffer; passphrase?: string } | undefined;
  if (ssh.identityFile) {
    identity = await loadIdentity(ssh, env);
    offered.push(`identity_file ${ssh.identityFile}`);
  }
  if (agent) {
    try {
      await stat(agent);
    } catch (err) {
      throw new Error(`cannot reach ssh-agent socket ${agent}: ${errCode(err)}`);
    }
    offered.push(`ssh-agent ${agent}`);
  }
  return { ...identity, agent, offered: offered.join(' and ') };
}

async function loadIdentity(ssh: SshOptions, env: NodeJS.ProcessEnv): Promise<{ privateKey: Buffer; passphrase?: string }> {
  const path = ssh.identityFile!;
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    throw new Error(`cannot read identity_file ${path}: ${errCode(err)}`);
  }
  let key = utils.parseKey(data);
  let passphrase: string | undefined;
  if (key instanceof Error && /no passphrase given/i.test(key.message)) {
    passphrase = await loadPassphrase(ssh, env);
    if (passphrase === undefined) {
      throw new Error(`identity_file ${path} is encrypted: set ssh.passphrase_file or ssh.passphrase_env`);
    }
    key = utils.parseKey(data, passphrase);
    // ssh2's messages here do not carry the passphrase, but keep ours fixed anyway.
    if (key instanceof Error) throw new Error(`cannot decrypt identity_file ${path} (wrong passphrase?)`);
  }
  if (key instanceof Error) throw new Error(`cannot parse identity_file ${path}: ${key.message}`);
  if (key.getPrivatePEM() === null) throw new Error(`identity_file ${path} holds no private key (a .pub file?)`);
  // ssh2's connect() only takes the raw form (a parsed key is silently ignored).
  return { privateKey: data, passphrase };
}

async function loadPassphrase(ssh: SshOptions, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (ssh.passphraseFile) {
    let text: string;
    try {
      text = await readFile(ssh.passphraseFile, 'utf8');
    } catch (err) {
      throw new Error(`cannot read passphrase_file ${ssh.passphraseFile}: ${errCode(err)}`);
    }
    // Files written by `echo` end in a newline that is not part of the passphrase.
    return text.replace(/\r?\n$/, '');
  }
  if (ssh.passphraseEnv) {
    const value = env[ssh.passphraseEnv];
    if (value === undefined) throw new Error(`passphrase_env ${ssh.passphraseEnv} is not set`);
    return value;
  }
  return undefined;
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}
