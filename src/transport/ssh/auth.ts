import { stat } from 'node:fs/promises';
import ssh2, { type ParsedKey } from 'ssh2';
import { errorCode } from '../../util/errors.ts';
import { readRegularFile, readRegularText } from '../../util/read-file.ts';
import type { SshOptions } from './options.ts';

const { utils } = ssh2;

/** Holds a decrypted key: never log it or put it in an error. */
export interface SshAuth {
  privateKey?: ParsedKey;
  /** ssh-agent socket path. */
  agent?: string;
  /** What was offered, for messages: "identity_file /x", "ssh-agent /y". Never a secret. */
  offered: string;
}

/**
 * The last identity file decrypted for a host. Decrypting an OpenSSH key (bcrypt KDF, in
 * JavaScript) blocks the event loop for about a second at the default 16 rounds: do it once
 * per file content, not on every reconnect.
 */
export interface IdentityCache {
  last?: { bytes: Buffer; key: ParsedKey };
}

/**
 * Reads the credentials for one connection attempt (files are re-read on every attempt, so a
 * rotated key is picked up at the next reconnect). The key is decrypted here, so a wrong
 * passphrase gives our message (naming the file, not the secret) before anything is sent.
 */
export async function loadSshAuth(ssh: SshOptions, cache: IdentityCache = {}, env: NodeJS.ProcessEnv = process.env): Promise<SshAuth> {
  const agent = ssh.agent ?? (ssh.identityFile ? undefined : env.SSH_AUTH_SOCK || undefined);
  if (!ssh.identityFile && !agent) {
    throw new Error('no identity_file and no ssh-agent: set ssh.identity_file or ssh.agent, or SSH_AUTH_SOCK');
  }
  const offered: string[] = [];
  let privateKey: ParsedKey | undefined;
  if (ssh.identityFile) {
    privateKey = await loadIdentity(ssh, cache, env);
    offered.push(`identity_file ${ssh.identityFile}`);
  }
  if (agent) {
    try {
      await stat(agent);
    } catch (err) {
      throw new Error(`cannot reach ssh-agent socket ${agent}: ${errorCode(err)}`);
    }
    offered.push(`ssh-agent ${agent}`);
  }
  return { privateKey, agent, offered: offered.join(' and ') };
}

async function loadIdentity(ssh: SshOptions, cache: IdentityCache, env: NodeJS.ProcessEnv): Promise<ParsedKey> {
  const path = ssh.identityFile!;
  const read = readRegularFile(path);
  if (!read.ok) throw new Error(`cannot read identity_file ${path}: ${read.reason}`);
  const data = read.data;
  // Same bytes as a file that decrypted before: same key, whatever the passphrase source says now.
  if (cache.last?.bytes.equals(data)) return cache.last.key;
  let key = utils.parseKey(data);
  if (key instanceof Error && /no passphrase given/i.test(key.message)) {
    const passphrase = await loadPassphrase(ssh, env);
    if (passphrase === undefined) {
      throw new Error(`identity_file ${path} is encrypted: set ssh.passphrase_file or ssh.passphrase_env`);
    }
    key = utils.parseKey(data, passphrase);
    // ssh2's messages here do not carry the passphrase, but keep ours fixed anyway.
    if (key instanceof Error) throw new Error(`cannot decrypt identity_file ${path} (wrong passphrase?)`);
  }
  if (key instanceof Error) throw new Error(`cannot parse identity_file ${path}: ${key.message}`);
  if (key.getPrivatePEM() === null) throw new Error(`identity_file ${path} holds no private key (a .pub file?)`);
  cache.last = { bytes: data, key };
  return key;
}

async function loadPassphrase(ssh: SshOptions, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (ssh.passphraseFile) {
    const read = readRegularText(ssh.passphraseFile);
    if (!read.ok) throw new Error(`cannot read passphrase_file ${ssh.passphraseFile}: ${read.reason}`);
    // Files written by `echo` end in a newline that is not part of the passphrase.
    return read.text.replace(/\r?\n$/, '');
  }
  if (ssh.passphraseEnv) {
    const value = env[ssh.passphraseEnv];
    if (value === undefined) throw new Error(`passphrase_env ${ssh.passphraseEnv} is not set`);
    return value;
  }
  return undefined;
}
