/**
 * etcd as a benchmark peer: a 3-member cluster on loopback, the same replication factor as pegasus-ts with
 * 3 replicas, and the same promise (Raft, linearizable reads and writes). Everything else stays at etcd's
 * defaults; in particular each member fsyncs its WAL before acknowledging a commit, which is the durability
 * it is deployed with.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchSystem, StartOptions, StartedSystem } from '../bench-target.ts';
import { freeLoopbackPorts } from '../free-ports.ts';
import { abandonStart, binaryVersion, findExecutable, ServerProcess, stopServers, waitUntilReady } from './peer-process.ts';

const MEMBER_COUNT = 3;
const READY_TIMEOUT_MS = 30_000;
const HEALTH_REQUEST_TIMEOUT_MS = 2_000;
const STOP_GRACE_MS = 10_000;
const LOOPBACK = '127.0.0.1';

let cachedLabel: string | undefined;

const prefixed = (version: string | undefined): string => (version === undefined ? '' : ` ${version}`);

interface Member {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
}

/** One member of a static cluster: everything it needs to find the others is on its command line. */
function etcdMemberArgs(member: Member, members: readonly Member[], dataDir: string, clusterToken: string): string[] {
  return [
    '--name', member.name,
    '--data-dir', dataDir,
    '--listen-client-urls', member.clientUrl,
    '--advertise-client-urls', member.clientUrl,
    '--listen-peer-urls', member.peerUrl,
    '--initial-advertise-peer-urls', member.peerUrl,
    '--initial-cluster', members.map((m) => `${m.name}=${m.peerUrl}`).join(','),
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', clusterToken,
  ];
}

/** True when the member's `/health` says so: it has a leader and served a quorum read through Raft. */
async function memberHealthy(clientUrl: string): Promise<boolean> {
  const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS) });
  // Read the body even on an error status: an unread one keeps its connection busy.
  const text = await response.text();
  if (!response.ok) return false;
  const health = (JSON.parse(text) as { health?: unknown }).health;
  return health === 'true' || health === true;
}

/**
 * One member after the other. Stopped all at once, the leader spends etcd's whole request timeout (7 s)
 * trying to hand its leadership to followers that are leaving too; one at a time, a leader hands over at
 * once to a live follower, and the last member finds no peer to hand over to.
 */
async function stopMembers(servers: readonly ServerProcess[]): Promise<void> {
  for (const server of servers) await stopServers([server], STOP_GRACE_MS);
}

export const etcdSystem: BenchSystem = {
  id: 'etcd',

  // Read lazily: every `pegasus` process (servers, shell) registers the bench command and never needs the label.
  get label(): string {
    cachedLabel ??= `etcd${prefixed(binaryVersion('etcd', ['--version'], /etcd Version: (\d+)\.(\d+)/))} (${MEMBER_COUNT} members)`;
    return cachedLabel;
  },

  async unavailableReason(): Promise<string | undefined> {
    return findExecutable('etcd') === undefined ? 'etcd-server is not installed (apt-get install etcd-server)' : undefined;
  },

  // profileDir is ignored: etcd is a Go binary, with no `.cpuprofile` to write (its pprof endpoint is off by
  // default and would change what is measured).
  async start({ workDir }: StartOptions): Promise<StartedSystem> {
    const binary = findExecutable('etcd');
    if (binary === undefined) throw new Error('etcd-server is not installed (apt-get install etcd-server)');
    const ports = await freeLoopbackPorts(2 * MEMBER_COUNT);
    const members: Member[] = Array.from({ length: MEMBER_COUNT }, (_, i) => ({
      name: `etcd${i + 1}`,
      clientUrl: `http://${LOOPBACK}:${ports[2 * i]}`,
      peerUrl: `http://${LOOPBACK}:${ports[2 * i + 1]}`,
    }));
    // A fresh token per start, so a member can never join a cluster left over from another run.
    const clusterToken = `pegasus-bench-${randomUUID()}`;
    const servers: ServerProcess[] = [];
    try {
      for (const member of members) {
        const dataDir = join(workDir, member.name);
        mkdirSync(dataDir, { recursive: true, mode: 0o700 });
        const args = etcdMemberArgs(member, members, dataDir, clusterToken);
        servers.push(await ServerProcess.spawn(member.name, binary, args, join(workDir, `${member.name}.log`), workDir));
      }
      const urlOf = new Map(members.map((m) => [m.name, m.clientUrl]));
      await waitUntilReady(servers, (server) => memberHealthy(urlOf.get(server.name) ?? ''), READY_TIMEOUT_MS);
    } catch (error) {
      return abandonStart(() => stopMembers(servers), error);
    }

    const pids = new Map(servers.map((s) => [s.name, s.pid]));
    return {
      connection: { kind: 'etcd', endpoints: members.map((m) => m.clientUrl) },
      serverPids: () => pids,
      stop: () => stopMembers(servers),
    };
  },
};
