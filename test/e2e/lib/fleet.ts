// The facts `fleet.sh up` wrote into .run/fleet.json, and the fleet.sh commands the tests call.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const E2E_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO_DIR = dirname(dirname(E2E_DIR));
export const RUN_DIR = join(E2E_DIR, '.run');

export interface TlsPaths {
  ca: string;
  cert: string;
  key: string;
}

export type SwarmRole = 'manager' | 'worker';

export interface SwarmNode {
  role: SwarmRole;
  socket: string;
  /** the daemon's own hostname (its UTS namespace): `Description.Hostname` of its node */
  hostname: string;
  node_id: string;
  /** its Swarm listen and advertise address */
  addr: string;
  server_version: string;
}

/** The services `fleet.sh up` creates, by what they are for. */
export type SwarmServiceRole = 'replicated' | 'global' | 'unschedulable' | 'crashloop' | 'stack';

export interface Swarm {
  cluster_id: string;
  /** node names (keys of `nodes`), m1 first: the node that made the cluster and its services */
  managers: string[];
  workers: string[];
  nodes: Record<string, SwarmNode>;
  /** role -> service name */
  services: Record<SwarmServiceRole, string>;
  /** `com.docker.stack.namespace` of the stack service and its containers */
  stack_namespace: string;
  /** the cluster's dispatcher heartbeat: a stopped node is down after about three */
  dispatcher_heartbeat: string;
  /** from `swarm init` until every service converged */
  up_seconds: number;
}

export interface Fleet {
  run: string;
  image: string;
  up_seconds: number;
  fleet_sh: string;
  /** what daemons A and B run (E2E_ENGINE) */
  engine: { name: '20.10' | '26'; server_version: string; api_version: string };
  a: {
    socket: string;
    /** container name -> full id */
    containers: Record<string, string>;
    net_server_ip: string;
    memory: { container: string; written_bytes: number; limit_bytes: number };
  };
  b: {
    socket: string;
    tcp_host: string;
    tcp_port: number;
    containers: Record<string, string>;
    tls: TlsPaths;
    /** B's CA for the server, but a client certificate from a CA that B does not trust. */
    untrusted_tls: TlsPaths;
  };
  ssh: {
    host: string;
    port: number;
    user: string;
    identity_file: string;
    known_hosts: string;
    host_key_fingerprint: string;
    socket_path: string;
  };
  /** null when the fleet was brought up with E2E_SWARM=0 */
  swarm: Swarm | null;
}

/** Host names (the `host` label) the tests give the daemons. */
export const HOST_A = 'engine-a';
export const HOST_B = 'engine-b';
export const HOST_A_SSH = 'engine-a-ssh';

export function loadFleet(): Fleet {
  const file = join(RUN_DIR, 'fleet.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Fleet;
  } catch (err) {
    throw new Error(`no fleet: cannot read ${file} (${(err as Error).message}); run "bash test/e2e/fleet.sh up" as root first, or use test/e2e/run.sh`);
  }
}

/** The fleet's Swarm, or an error saying how to bring one up. */
export function swarmOf(fleet: Fleet): Swarm {
  if (!fleet.swarm) throw new Error('this fleet has no Swarm (brought up with E2E_SWARM=0); run "bash test/e2e/fleet.sh up" without it');
  return fleet.swarm;
}

export type FleetCommand = 'stop-b' | 'start-b' | 'stop-worker' | 'start-worker' | 'stop-manager' | 'start-manager';

/** Runs a `fleet.sh` command; `node` names the Swarm node for the worker and manager ones (default w1, m1). */
export async function fleetCommand(fleet: Fleet, cmd: FleetCommand, node?: string): Promise<void> {
  await run('bash', [fleet.fleet_sh, cmd, ...(node ? [node] : [])], { timeout: 90_000 });
}

/** The docker CLI against daemon A or B, for changes the exporter must notice (rm -f). */
export async function dockerCli(socket: string, args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  for (const k of ['DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CONTEXT']) delete env[k];
  const { stdout } = await run('docker', args, { env, timeout: 60_000 });
  return stdout;
}
