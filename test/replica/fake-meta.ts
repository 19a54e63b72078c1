/**
 * A fake meta for replica server tests, per the meta ↔ replica contract: acks beacons (F1), answers config
 * sync from its partition table (F2), applies update-configuration requests (F3: identical → ERR_OK,
 * ballot ≠ current + 1 → ERR_INVALID_VERSION, else store (a node leaving becomes the newest last drop) and
 * ERR_OK) and builds CT_ASSIGN_PRIMARY proposals for the test to deliver (it runs no guardian itself).
 * It registers on any RpcHandlerRegistry, so the same code serves the in-memory network and a real RpcServer.
 */
import { formatGpid, type Gpid } from '../../src/base/gpid.ts';
import { REPLICATION_RPCS } from '../../src/idl/codec/replication-rpcs.ts';
import { AppStatus, type AppInfo, type PartitionConfiguration } from '../../src/idl/meta.ts';
import { ConfigType, type ConfigurationUpdateRequest, type ReplicaInfo } from '../../src/idl/replication.ts';
import { RPC_ADDRESS_INVALID, formatRpcAddress as formatWireAddress, parseRpcAddress as parseWireAddress } from '../../src/idl/thrift/dsn.ts';
import type { RpcHandlerRegistry } from '../../src/rpc/transport.ts';

export function appInfo(appId: number, partitionCount: number, appName = 'temp'): AppInfo {
  return {
    status: AppStatus.AS_AVAILABLE,
    appType: 'pegasus',
    appName,
    appId,
    partitionCount,
    envs: new Map(),
    isStateful: true,
    maxReplicaCount: 1,
    expireSecond: 0,
    createSecond: 1_750_000_000,
    dropSecond: 0,
    initPartitionCount: partitionCount,
  };
}

export function emptyConfig(pid: Gpid): PartitionConfiguration {
  return {
    pid,
    ballot: 0,
    maxReplicaCount: 1,
    primary: { ...RPC_ADDRESS_INVALID },
    secondaries: [],
    lastDrops: [],
    lastCommittedDecree: 0,
    partitionFlags: 0,
  };
}

export function wire(address: string): { ipv4: number; port: number } {
  const parsed = parseWireAddress(address);
  if (parsed === undefined) throw new Error(`bad address ${address}`);
  return parsed;
}

export class FakeMeta {
  readonly apps = new Map<number, AppInfo>();
  readonly configs = new Map<string, PartitionConfiguration>();
  readonly syncRequests: Array<{ node: string; stored: ReplicaInfo[] }> = [];
  readonly updates: ConfigurationUpdateRequest[] = [];
  readonly gcReplicas: ReplicaInfo[] = [];
  ackBeacons = true;
  /** When false, update requests get no answer (the replica must retry). */
  answerUpdates = true;

  constructor(readonly address: string) {}

  addApp(info: AppInfo): void {
    this.apps.set(info.appId, info);
    for (let i = 0; i < info.partitionCount; i++) this.configs.set(`${info.appId}.${i}`, emptyConfig({ appId: info.appId, partitionIndex: i }));
  }

  config(gpid: Gpid): PartitionConfiguration {
    const config = this.configs.get(formatGpid(gpid));
    if (config === undefined) throw new Error(`no partition ${formatGpid(gpid)}`);
    return config;
  }

  /** The RPC_CONFIG_PROPOSAL args for making `node` primary of `gpid`. */
  proposal(gpid: Gpid, node: string): Buffer {
    const info = this.apps.get(gpid.appId)!;
    return REPLICATION_RPCS.RPC_CONFIG_PROPOSAL.encodeArgs({
      info,
      config: this.config(gpid),
      type: ConfigType.CT_ASSIGN_PRIMARY,
      node: wire(node),
      hostNode: { ...RPC_ADDRESS_INVALID },
    });
  }

  register(handlers: RpcHandlerRegistry): void {
    const ping = REPLICATION_RPCS.RPC_FD_FAILURE_DETECTOR_PING;
    handlers.register(ping.code, (request, reply) => {
      const beacon = ping.decodeArgs(request.args, 0);
      if (!this.ackBeacons) return; // no answer: the worker's call times out
      const self = wire(this.address);
      reply.ok(ping.encodeResponse({ time: beacon.time, thisNode: self, primaryNode: self, isMaster: true, allowed: true }));
    });
    const sync = REPLICATION_RPCS.RPC_CM_CONFIG_SYNC;
    handlers.register(sync.code, (request, reply) => {
      const query = sync.decodeArgs(request.args, 0);
      const node = formatWireAddress(query.node);
      this.syncRequests.push({ node, stored: query.storedReplicas ?? [] });
      const partitions = [...this.configs.values()]
        .filter((c) => formatWireAddress(c.primary) === node)
        .map((config) => ({
          info: this.apps.get(config.pid.appId)!,
          config,
          type: ConfigType.CT_INVALID,
          node: query.node,
          hostNode: { ...RPC_ADDRESS_INVALID },
        }));
      reply.ok(sync.encodeResponse({ err: 'ERR_OK', partitions, gcReplicas: this.gcReplicas }));
    });
    const update = REPLICATION_RPCS.RPC_CM_UPDATE_PARTITION_CONFIGURATION;
    handlers.register(update.code, (request, reply) => {
      const req = update.decodeArgs(request.args, 0);
      this.updates.push(req);
      if (!this.answerUpdates) return;
      const current = this.config(req.config.pid);
      if (JSON.stringify(comparable(req.config)) === JSON.stringify(comparable(current))) {
        reply.ok(update.encodeResponse({ err: 'ERR_OK', config: current }));
        return;
      }
      if (req.config.ballot !== current.ballot + 1) {
        reply.ok(update.encodeResponse({ err: 'ERR_INVALID_VERSION', config: current }));
        return;
      }
      const next = comparable(req.config);
      // The meta's maintain_drops: a node leaving the membership becomes the newest drop.
      const leaving = formatWireAddress(req.node);
      if (req.type === ConfigType.CT_DOWNGRADE_TO_INACTIVE || req.type === ConfigType.CT_REMOVE) {
        next.lastDrops = [...next.lastDrops.filter((a) => formatWireAddress(a) !== leaving), req.node];
      }
      this.configs.set(formatGpid(req.config.pid), next);
      reply.ok(update.encodeResponse({ err: 'ERR_OK', config: next }));
    });
  }
}

/** The partition configuration without the optional host_port twins. */
function comparable(c: PartitionConfiguration): PartitionConfiguration {
  return {
    pid: c.pid,
    ballot: c.ballot,
    maxReplicaCount: c.maxReplicaCount,
    primary: c.primary,
    secondaries: c.secondaries,
    lastDrops: c.lastDrops,
    lastCommittedDecree: c.lastCommittedDecree,
    partitionFlags: c.partitionFlags,
  };
}
