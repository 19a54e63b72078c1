/**
 * Process wiring of a meta server (architecture.md §2 `server/`): the real Env — FileMetaStore in
 * `<data_dir>/meta` (upstream's `meta_state_service_simple`), LocalLock as the leader lock, RpcServer (RPC and
 * HTTP on one port), TcpRpcChannel, the real clock, a pino logger — and the `[meta_server.apps.X]` tables on
 * the first boot. Not wired into the CLI yet.
 */
import { join } from 'node:path';
import { PegasusError } from '../../base/error-code.ts';
import type { MetaLimits } from '../../meta/meta-env.ts';
import { MetaServer } from '../../meta/meta-server.ts';
import { FileMetaStore } from '../../metastore/file-meta-store.ts';
import { LocalLock } from '../../metastore/local-lock.ts';
import type { LockHandle } from '../../metastore/meta-state-store.ts';
import { RpcServer, TcpRpcChannel } from '../../rpc/tcp/index.ts';
import type { RpcAddress } from '../../rpc/transport.ts';
import type { PegasusConfig } from '../config/index.ts';
import { realClock } from '../env/real-clock.ts';
import { PACKAGE_VERSION } from '../version.ts';
import { createLogger, type Logger } from '../log/index.ts';
import { metaServerConfigOf } from './meta-config.ts';
import { createMetaHttpServer } from './meta-http.ts';

export interface StartMetaServerOptions {
  readonly config: PegasusConfig;
  /** The process's data directory; default `[core] data_dir`. The store lives in `<dataDir>/meta`. */
  readonly dataDir?: string;
  /** Overrides `[apps.meta] ports`; 0 picks a free port (tests). */
  readonly port?: number;
  /** IPv4 address to bind and advertise; default 127.0.0.1. */
  readonly host?: string;
  readonly logger?: Logger;
  readonly limits?: Partial<MetaLimits>;
  /**
   * Called when the meta must not go on (its lock is lost), after it has stopped acting. A process exits
   * here, as upstream's meta does; tests observe it.
   */
  readonly onFatal?: (cause: unknown) => void;
}

export interface MetaServerHandle {
  readonly address: RpcAddress;
  readonly meta: MetaServer;
  /** Stops serving, closes the network, the store and the lock. */
  close(): Promise<void>;
}

/** The tracker issue that brings the ZooKeeper store (named in the error a ZooKeeper config gets). */
export const ZOOKEEPER_ISSUE = 'the ZkMetaStore issue (ZooKeeper meta state service and leader lock)';


export async function startMetaServer(options: StartMetaServerOptions): Promise<MetaServerHandle> {
  const { config } = options;
  const storeType = config.values.meta_server.meta_state_service_type;
  if (storeType !== 'meta_state_service_simple') {
    throw new PegasusError(
      'ERR_NOT_IMPLEMENTED',
      `[meta_server] meta_state_service_type = ${storeType} is not supported yet (only meta_state_service_simple is); ZooKeeper comes with ${ZOOKEEPER_ISSUE}`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  const dataDir = options.dataDir ?? config.values.core.data_dir;
  const metaDir = join(dataDir, 'meta');
  const bootLogger = options.logger ?? createLogger({ role: 'meta', level: config.values.core.logging_start_level });
  const lock = new LocalLock(metaDir);
  let lockHandle: LockHandle | undefined;
  let store: FileMetaStore | undefined;
  let rpcServer: RpcServer | undefined;
  const channel = new TcpRpcChannel({ logger: bootLogger });
  let meta: MetaServer | undefined;
  const cleanup = async (): Promise<void> => {
    meta?.stop();
    await rpcServer?.close();
    await channel.close();
    await store?.close();
    await lockHandle?.release();
  };
  try {
    store = await FileMetaStore.open(metaDir);
    // The one-meta embedded setup: the lock only keeps a second process off the same store.
    lockHandle = await lock.lock({
      ownerId: `${host}:${options.port ?? config.derived.port}`,
      onLost: (cause) => {
        // pegasus-internals.md §9 item 5: a meta that lost its lock must stop acting at once.
        bootLogger.error({ err: cause }, 'meta lock lost: stopping the meta server');
        meta?.stop();
        options.onFatal?.(cause);
      },
    });
    const httpServer = createMetaHttpServer(() => meta, PACKAGE_VERSION);
    rpcServer = new RpcServer({ host, port: options.port ?? config.derived.port, httpServer, logger: bootLogger });
    // Bind first so the advertised address (beacon acks, cluster_info) is the real port; until start()
    // has loaded the state, the meta's handlers answer ERR_SERVICE_NOT_ACTIVE.
    const address = await rpcServer.listen();
    const logger = bootLogger.child({ node: address });
    meta = new MetaServer({
      clock: realClock,
      network: { channel, handlers: rpcServer },
      metaStore: store,
      logger,
      config: metaServerConfigOf(config, address),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    const status = await meta.start();
    if (status.noTableEverCreated) await createConfiguredTables(meta, config, logger);
    logger.info({ address, dataDir: metaDir }, 'meta server started');
    const started = meta;
    return { address, meta: started, close: cleanup };
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}

async function createConfiguredTables(meta: MetaServer, config: PegasusConfig, logger: Logger): Promise<void> {
  for (const [section, table] of Object.entries(config.values['meta_server.apps'])) {
    const appName = table.app_name === '' ? section : table.app_name;
    const response = await meta.createApp({
      appName,
      options: {
        partitionCount: table.partition_count,
        replicaCount: table.max_replica_count,
        successIfExist: true,
        appType: table.app_type,
        isStateful: table.stateful,
        envs: new Map(),
      },
    });
    if (response.err !== 'ERR_OK') throw new PegasusError(response.err, `creating the configured table ${appName} failed`);
    logger.info({ app_name: appName, app_id: response.appid }, 'created configured table');
  }
}
