/**
 * pegasus-ts as a benchmarked system: a onebox (one meta, three replica servers, the test profile's timers)
 * in the bench's work folder on spare loopback ports, with the YCSB table `usertable` of 8 partitions and
 * 1 or 3 replicas each. Started and stopped through the onebox code `pegasus onebox start|stop` runs, so the
 * bench measures what a user runs.
 */
import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest, readPid } from '../../onebox/onebox-layout.ts';
import { planOnebox } from '../../onebox/onebox-plan.ts';
import { stopRoles } from '../../onebox/onebox-processes.ts';
import { waitHealthy } from '../../onebox/onebox-readiness.ts';
import { HEALTHY_TIMEOUT_MS, startOnebox } from '../../onebox/onebox-start.ts';
import { TcpRpcChannel } from '../../rpc/tcp/rpc-channel.ts';
import { NodeStatus } from '../../idl/meta.ts';
import { AdminClient } from '../../shell/admin-client.ts';
import type { BenchSystem, StartOptions, StartedSystem } from '../bench-target.ts';
import { freeLoopbackPortBlock, freeLoopbackPorts } from '../free-ports.ts';

export const YCSB_TABLE = 'usertable';
const REPLICA_SERVER_COUNT = 3;
const PARTITION_COUNT = 8;

export function pegasusSystem(replicaCount: 1 | 3): BenchSystem {
  return {
    id: `pegasus${replicaCount}`,
    label: `pegasus-ts (${replicaCount} replica${replicaCount === 1 ? '' : 's'})`,
    unavailableReason: () => Promise.resolve(undefined),
    start: (options) => startPegasus(replicaCount, options),
  };
}

async function startPegasus(replicaCount: number, options: StartOptions): Promise<StartedSystem> {
  const dir = join(options.workDir, 'onebox');
  // The replica servers' ports are consecutive (base + i), the meta's is taken after them so it cannot fall inside.
  const replicaBasePort = await freeLoopbackPortBlock(REPLICA_SERVER_COUNT);
  let metaPort: number;
  do [metaPort] = (await freeLoopbackPorts(1)) as [number];
  while (metaPort >= replicaBasePort && metaPort < replicaBasePort + REPLICA_SERVER_COUNT);
  const plan = {
    ...planOnebox({
      dir,
      metaPort: String(metaPort),
      replicaBasePort: String(replicaBasePort),
      replicaServerCount: String(REPLICA_SERVER_COUNT),
      // The onebox's own first table (`temp`) is created at the meta's first boot, before every replica server
      // has beaconed, so it lands on whichever came first (no balancer yet). The YCSB table is created below,
      // once all servers are alive, so its partitions and primaries spread over all three, as an operator's
      // `create usertable` in the shell would.
      partitionCount: '1',
      maxReplicaCount: String(replicaCount),
      waitHealthy: true,
    }),
    nodeArgs: options.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.profileDir],
  };
  try {
    if ((await startOnebox(plan)) !== 0) throw new Error('the onebox did not become healthy');
    await createYcsbTable(metaPort, replicaCount);
  } catch (e) {
    await stopRoles(plan.dir, plan.roles);
    throw new Error(`${e instanceof Error ? e.message : String(e)} (the servers' logs are in ${dir}/*/pegasus.log)`);
  }
  const serverPids = (): Map<string, number> => {
    const pids = new Map<string, number>();
    for (const role of readManifest(dir)?.roles ?? []) {
      const pid = readPid(dir, role);
      if (pid !== undefined) pids.set(role.name, pid);
    }
    return pids;
  };
  return {
    connection: { kind: 'pegasus', metaServers: [`127.0.0.1:${metaPort}`], table: YCSB_TABLE },
    serverPids,
    async stop() {
      const pids = serverPids();
      // Node writes a process's profile as it exits (on SIGTERM the servers close and exit on their own).
      await stopRoles(plan.dir, plan.roles);
      if (options.profileDir !== undefined) await nameProfilesByRole(options.profileDir, pids);
    },
  };
}

/** `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile` → `replica2.cpuprofile` (worker threads: `replica2.thread1.cpuprofile`). */
async function nameProfilesByRole(profileDir: string, pids: ReadonlyMap<string, number>): Promise<void> {
  const roleOfPid = new Map([...pids].map(([role, pid]) => [pid, role]));
  for (const file of await readdir(profileDir)) {
    const match = /^CPU\.\d+\.\d+\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(file);
    const role = match === null ? undefined : roleOfPid.get(Number(match[1]));
    if (role === undefined) continue;
    await rename(join(profileDir, file), join(profileDir, match![2] === '0' ? `${role}.cpuprofile` : `${role}.thread${match![2]}.cpuprofile`));
  }
}

/** Every replica server has beaconed within this long of the onebox answering, on a loaded machine too. */
const NODES_ALIVE_TIMEOUT_MS = 30_000;
const NODES_POLL_INTERVAL_MS = 200;

async function createYcsbTable(metaPort: number, replicaCount: number): Promise<void> {
  const channel = new TcpRpcChannel();
  try {
    const admin = new AdminClient(channel, [`127.0.0.1:${metaPort}`]);
    // A table is placed over the nodes the meta knows alive when it is created: wait for all of them, or a
    // 1-replica table (whose `temp` is healthy as soon as one server beacons) would land on the first ones.
    const deadlineMs = Date.now() + NODES_ALIVE_TIMEOUT_MS;
    let alive = 0;
    while ((alive = (await admin.listNodes(NodeStatus.NS_ALIVE)).length) < REPLICA_SERVER_COUNT) {
      if (Date.now() > deadlineMs) throw new Error(`only ${alive} of ${REPLICA_SERVER_COUNT} replica servers were alive after ${NODES_ALIVE_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, NODES_POLL_INTERVAL_MS));
    }
    await admin.createApp(YCSB_TABLE, PARTITION_COUNT, replicaCount, new Map());
  } finally {
    await channel.close();
  }
  await waitHealthy(metaPort, YCSB_TABLE, HEALTHY_TIMEOUT_MS);
}
