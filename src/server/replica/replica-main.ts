/**
 * Process wiring of a replica server (architecture.md §2 `server/`): the real Env — replica directories on
 * RocksStore + FileLog (replica-fs-storage.ts), RpcServer (RPC and HTTP on one port), TcpRpcChannel, the
 * real clock, a pino logger — around a ReplicaStub. Not wired into the CLI yet.
 */
import { PegasusError } from '../../base/error-code.ts';
import { ReplicaStub } from '../../replica/stub/replica-stub.ts';
import type { ReplicaStubConfig, ReplicaStubLimits } from '../../replica/stub/stub-env.ts';
import { RpcServer, TcpRpcChannel } from '../../rpc/tcp/index.ts';
import { isIpv4, type RpcAddress } from '../../rpc/transport.ts';
import type { PegasusConfig } from '../config/index.ts';
import { realClock } from '../env/real-clock.ts';
import { PACKAGE_VERSION } from '../version.ts';
import { createLogger, type Logger } from '../log/index.ts';
import { FsReplicaStorage } from './replica-fs-storage.ts';
import { createReplicaHttpServer } from './replica-http.ts';

export interface StartReplicaServerOptions {
  readonly config: PegasusConfig;
  /** Overrides the data directory (`[replication] data_dirs`' first disk, else `[core] data_dir`). */
  readonly dataDir?: string;
  /** Overrides `[apps.replica] ports`; 0 picks a free port (tests). */
  readonly port?: number;
  /** IPv4 address to bind and advertise; default 127.0.0.1. */
  readonly host?: string;
  readonly logger?: Logger;
  readonly limits?: Partial<ReplicaStubLimits>;
}

export interface ReplicaServerHandle {
  readonly address: RpcAddress;
  readonly stub: ReplicaStub;
  /** Stops serving, closes every replica, the network and the listener. */
  close(): Promise<void>;
}


/** `[meta_server] server_list` as transport addresses; `localhost` means the loopback address. */
function metaAddresses(config: PegasusConfig): RpcAddress[] {
  return config.derived.metaServers.map(({ host, port }) => {
    const ip = host === 'localhost' ? '127.0.0.1' : host;
    if (!isIpv4(ip)) throw new PegasusError('ERR_INVALID_PARAMETERS', `meta server ${host}:${port}: only IPv4 addresses are supported`);
    return `${ip}:${port}`;
  });
}

export function replicaStubConfigOf(config: PegasusConfig, selfAddress: RpcAddress): ReplicaStubConfig {
  const r = config.values.replication;
  return {
    selfAddress,
    metaServers: metaAddresses(config),
    diskTag: config.derived.dataDirs[0]?.tag ?? 'default',
    fdDisabled: r.fd_disabled,
    fdBeaconIntervalSeconds: r.fd_beacon_interval_seconds,
    fdCheckIntervalSeconds: r.fd_check_interval_seconds,
    fdLeaseSeconds: r.fd_lease_seconds,
    configSyncDisabled: r.config_sync_disabled,
    configSyncIntervalMs: r.config_sync_interval_ms,
    // 0 means "no check" upstream.
    writeSizeBytesMax: r.max_allowed_write_size === 0 ? Number.MAX_SAFE_INTEGER : r.max_allowed_write_size,
    stalenessForCommit: r.staleness_for_commit,
    prepareListCapacity: r.max_mutation_count_in_prepare_list,
    batchWriteDisabled: r.batch_write_disabled,
    learnAppMaxConcurrentCount: r.learn_app_max_concurrent_count,
    replicaTiming: {
      prepareTimeoutMsForSecondaries: r.prepare_timeout_ms_for_secondaries,
      prepareTimeoutMsForPotentialSecondaries: r.prepare_timeout_ms_for_potential_secondaries,
      groupCheckIntervalMs: r.group_check_interval_ms,
      groupCheckDisabled: r.group_check_disabled,
      emptyWriteDisabled: r.empty_write_disabled,
      mutation2pcMinReplicaCount: r.mutation_2pc_min_replica_count,
      checkpointIntervalMs: r.checkpoint_interval_seconds * 1000,
      checkpointDisabled: r.checkpoint_disabled,
      logPrivateReserveMaxBytes: r.log_private_reserve_max_size_mb * 1024 * 1024,
      logPrivateReserveMaxTimeMs: r.log_private_reserve_max_time_seconds * 1000,
      checkpointReserveMinCount: config.values['pegasus.server'].checkpoint_reserve_min_count,
      checkpointReserveTimeSeconds: config.values['pegasus.server'].checkpoint_reserve_time_seconds,
    },
  };
}

export async function startReplicaServer(options: StartReplicaServerOptions): Promise<ReplicaServerHandle> {
  const { config } = options;
  const host = options.host ?? '127.0.0.1';
  // One disk in this issue: the first of data_dirs (the derived config falls back to [core] data_dir).
  const dataDir = options.dataDir ?? config.derived.dataDirs[0]?.path ?? config.values.core.data_dir;
  const bootLogger = options.logger ?? createLogger({ role: 'replica', level: config.values.core.logging_start_level });
  const channel = new TcpRpcChannel({ logger: bootLogger });
  let stub: ReplicaStub | undefined;
  let rpcServer: RpcServer | undefined;
  const cleanup = async (): Promise<void> => {
    await stub?.close();
    await rpcServer?.close();
    await channel.close();
  };
  try {
    const httpServer = createReplicaHttpServer(() => stub, PACKAGE_VERSION);
    rpcServer = new RpcServer({ host, port: options.port ?? config.derived.port, httpServer, logger: bootLogger });
    // Bind first so the advertised address is the real port; until the stub has loaded its replicas the
    // client RPCs answer ERR_OBJECT_NOT_FOUND.
    const address = await rpcServer.listen();
    const logger = bootLogger.child({ node: address });
    const storage = new FsReplicaStorage({ dataDir, clock: realClock, server: address, clusterId: config.derived.localClusterId });
    stub = new ReplicaStub({
      clock: realClock,
      network: { channel, handlers: rpcServer },
      storage,
      logger,
      config: replicaStubConfigOf(config, address),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    const report = await stub.start();
    logger.info({ address, dataDir: storage.repsDir, replicas: report.opened.length, failed: report.failed.length }, 'replica server started');
    const started = stub;
    return { address, stub: started, close: cleanup };
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}
