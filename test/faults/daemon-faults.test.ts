// Fake daemons misbehaving every way the issue lists, each next to the good host: hang, stall
// after headers, a body that never ends, 200 MB, nested arrays, thousands of interfaces,
// duplicate ids, invalid JSON, wrong types. See README.md in this directory.
import type { ContainerInput } from '../support/stats-bodies.ts';
import { containerId } from './lib/checks.ts';
import { MB } from './lib/load.ts';
import { containersFailed, containersServed, faultScenarios, hostDown, hostUp, interfacesCapped, namesOnce, type BadHost } from './lib/scenario.ts';


/** Three running containers: `<host>-a` and `<host>-b` get the faults, `<host>-ok` never does. */
function containers(host: string): ContainerInput[] {
  return ['a', 'b', 'ok'].map((c) => ({ name: `${host}-${c}`, state: 'running' }));
}

/** A host whose every request gets `rule`: its probe fails as a whole. */
function wholeHost(name: string, ...rules: BadHost['faults']): BadHost {
  return { name, containers: containers(name), faults: rules, expect: [hostDown(name)] };
}

/** A host whose containers `-a` (and `-b` when `both`) get `rule` on their stats. */
function statsOf(name: string, rule: BadHost['faults'][number], both = false): BadHost {
  const bad = both ? [`${name}-a`, `${name}-b`] : [`${name}-a`];
  return {
    name,
    containers: containers(name),
    faults: bad.map((container) => ({ kind: 'stats' as const, container, ...rule })),
    expect: [containersFailed(name, bad), containersServed(name, [`${name}-ok`, ...(both ? [] : [`${name}-b`])])],
  };
}

const INVALID_JSON = '{"Id": "0123456789ab", "Names": ["/trunc';
const WRONG_TYPES = {
  version: JSON.stringify({ ApiVersion: 1.43, MinAPIVersion: ['1.24'], Version: { major: 24 }, Os: null, KernelVersion: 6 }),
  info: JSON.stringify({ NCPU: '2', MemTotal: [8], Driver: 7, CgroupVersion: 2, ServerVersion: null }),
  list: JSON.stringify({ message: ['not', 'a', 'list'] }),
  stats: JSON.stringify({
    read: 5,
    cpu_stats: 'busy',
    memory_stats: [1, 2, 3],
    networks: { eth0: 'up', eth1: { rx_bytes: '12', tx_bytes: null } },
    blkio_stats: { io_service_bytes_recursive: { op: 'read', value: 1 } },
    pids_stats: null,
  }),
  inspect: JSON.stringify({ Id: 7, Name: ['x'], RestartCount: '3', State: 'running', HostConfig: [], Config: null }),
};
/** A list of garbage entries around one real container whose fields all have the wrong type. */
const wrongTypedList = (name: string): string =>
  JSON.stringify([42, null, 'x', [], { Id: 7 }, { Id: containerId(name), Names: `/${name}`, State: { running: true }, Labels: [1], Image: 5, Status: null }]);

faultScenarios([
  {
    title: 'a daemon that hangs',
    bad: [wholeHost('hang', { hang: true }), statsOf('hang-stats', { hang: true })],
    defects: { bad: 'docker_host_up is 1 while a stale snapshot is served (flaps), no docker_host_snapshot_age_seconds' },
  },
  {
    title: 'a daemon that stalls after the headers',
    bad: [wholeHost('stall', { kind: 'list', stallAfterHeaders: true }), statsOf('stall-stats', { stallAfterHeaders: true })],
    defects: { bad: 'docker_host_up flaps during an outage' },
  },
  {
    title: 'a daemon whose body never ends',
    bad: [wholeHost('stream', { kind: 'list', streamForever: {} }), statsOf('stream-stats', { streamForever: {} }, true)],
    defects: { bad: 'docker_host_up flaps during an outage', rss: 'no body caps per kind' },
  },
  {
    title: 'a daemon sending 200 MB bodies',
    bad: [wholeHost('huge', { kind: 'list', hugeBodyBytes: 200 * MB }), statsOf('huge-stats', { hugeBodyBytes: 200 * MB }, true)],
    defects: { bad: 'docker_host_up flaps during an outage', rss: 'no body caps per kind (a stats body is read up to 64 MB)' },
  },
  {
    title: 'nested-array stats bodies, pool.threads 1',
    threads: 1,
    bad: [statsOf('nested1', { nestedArrayBytes: 30 * MB }, true)],
    defects: {
      good: 'the stats parse has no deadline, a 30 MB nested array holds the only worker and the good host misses its deadline',
      deadline: 'the stats parse has no deadline',
      rss: 'no body caps per kind',
    },
  },
  {
    title: 'nested-array stats bodies, pool.threads 0',
    threads: 0,
    bad: [statsOf('nested0', { nestedArrayBytes: 30 * MB }, true)],
    defects: {
      healthz: 'the stats parse has no deadline; on the main thread it blocks /healthz',
      deadline: 'the stats parse has no deadline; on the main thread it blocks every scrape',
      good: 'the stats parse has no deadline',
      rss: 'no body caps per kind',
    },
  },
  {
    title: 'a stats body with thousands of interfaces',
    bad: [
      {
        name: 'nics',
        containers: containers('nics'),
        // added with the faults: the warm-up stays healthy
        faults: [],
        ops: [{ op: 'add', container: { name: 'nics-many', state: 'running', networks: Array.from({ length: 3000 }, (_, i) => `veth${i}`) } }],
        expect: [hostUp('nics'), interfacesCapped('nics', 64), containersServed('nics', ['nics-many', 'nics-ok'])],
      },
    ],
    defects: { bad: 'no cap on interfaces per container (3000 x 8 series)' },
  },
  {
    title: 'duplicate ids in the container list',
    bad: [{ name: 'dups', containers: containers('dups'), faults: [{ kind: 'list', duplicateIds: 'exited' }], expect: [hostUp('dups'), namesOnce('dups', ['dups-a', 'dups-b', 'dups-ok'])] }],
    defects: { series: 'duplicate ids in a list make duplicate series', bad: 'duplicate ids are not deduplicated' },
  },
  {
    title: 'invalid JSON',
    bad: [
      wholeHost('badjson', { kind: 'version', body: INVALID_JSON }, { kind: 'info', body: INVALID_JSON }, { kind: 'list', body: INVALID_JSON }),
      {
        name: 'badjson-c',
        containers: containers('badjson-c'),
        faults: [
          { kind: 'stats', container: 'badjson-c-a', body: INVALID_JSON },
          { kind: 'inspect', container: 'badjson-c-new', body: INVALID_JSON },
        ],
        ops: [{ op: 'add', container: { name: 'badjson-c-new', state: 'running' } }],
        expect: [containersFailed('badjson-c', ['badjson-c-a', 'badjson-c-new']), containersServed('badjson-c', ['badjson-c-b', 'badjson-c-ok'])],
      },
    ],
    defects: { bad: 'docker_host_up flaps during an outage' },
  },
  {
    title: 'wrong types in every body',
    bad: [
      wholeHost('types', { kind: 'version', body: WRONG_TYPES.version }, { kind: 'info', body: WRONG_TYPES.info }, { kind: 'list', body: WRONG_TYPES.list }),
      {
        name: 'types-c',
        containers: containers('types-c'),
        faults: [
          { kind: 'stats', container: 'types-c-a', body: WRONG_TYPES.stats },
          { kind: 'inspect', container: 'types-c-new', body: WRONG_TYPES.inspect },
        ],
        ops: [{ op: 'add', container: { name: 'types-c-new', state: 'running' } }],
        expect: [hostUp('types-c'), containersServed('types-c', ['types-c-b', 'types-c-ok'])],
      },
      { name: 'types-list', containers: containers('types-list'), faults: [{ kind: 'list', body: wrongTypedList('types-list-a') }], expect: [hostUp('types-list')] },
    ],
    defects: { bad: 'docker_host_up flaps during an outage' },
  },
]);
