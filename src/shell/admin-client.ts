/**
 * A small typed client for the meta server's admin RPCs (protocol.md §6, §11) over any RpcChannel. Every
 * call goes to the meta that last answered as leader; a non-leader (ERR_FORWARD_TO_OTHERS), a meta still
 * starting (ERR_SERVICE_NOT_ACTIVE) or a transport failure moves on to the next one, a bounded number of
 * times. A final `err` other than ERR_OK becomes an AdminError carrying the error name.
 */
import { isPegasusError } from '../base/error-code.ts';
import { META_RPCS, type MetaTwoWayRpc } from '../idl/codec/meta-rpcs.ts';
import {
  AppEnvOperation,
  AppStatus,
  NodeStatus,
  type AppInfo,
  type DddPartitionInfo,
  type NodeInfo,
  type PartitionConfiguration,
} from '../idl/meta.ts';
import type { RpcChannel } from '../rpc/transport.ts';

export const ADMIN_TIMEOUT_MS_DEFAULT = 5000;
const ROUNDS_MAX = 3;
const RETRY_PAUSE_MS = 200;

/** The meta server refused or could not be reached: `code` is the upstream error name. */
export class AdminError extends Error {
  override name = 'AdminError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface AppPartitions {
  appId: number;
  partitionCount: number;
  partitions: PartitionConfiguration[];
}

export class AdminClient {
  private current = 0;

  constructor(
    private readonly channel: RpcChannel,
    private readonly metas: readonly string[],
    private readonly timeoutMs = ADMIN_TIMEOUT_MS_DEFAULT,
  ) {
    if (metas.length === 0) throw new AdminError('ERR_INVALID_PARAMETERS', 'no meta server given');
  }

  async clusterInfo(): Promise<Array<[string, string]>> {
    const r = await this.call(META_RPCS.RPC_CM_CLUSTER_INFO, {});
    return r.keys.map((key, i) => [key, r.values[i] ?? '']);
  }

  async listNodes(status: number = NodeStatus.NS_INVALID): Promise<NodeInfo[]> {
    return (await this.call(META_RPCS.RPC_CM_LIST_NODES, { status })).infos;
  }

  async listApps(status: number = AppStatus.AS_INVALID): Promise<AppInfo[]> {
    return (await this.call(META_RPCS.RPC_CM_LIST_APPS, { status })).infos;
  }

  async queryConfig(appName: string): Promise<AppPartitions> {
    const r = await this.call(META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, { appName, partitionIndices: [] });
    const partitions = [...r.partitions].sort((a, b) => a.pid.partitionIndex - b.pid.partitionIndex);
    return { appId: r.appId, partitionCount: r.partitionCount, partitions };
  }

  async createApp(appName: string, partitionCount: number, replicaCount: number, envs: Map<string, string>): Promise<number> {
    const r = await this.call(META_RPCS.RPC_CM_CREATE_APP, {
      appName,
      options: { partitionCount, replicaCount, successIfExist: false, appType: 'pegasus', isStateful: true, envs },
    });
    return r.appid;
  }

  async dropApp(appName: string, reserveSeconds?: number): Promise<void> {
    await this.call(META_RPCS.RPC_CM_DROP_APP, {
      appName,
      options: reserveSeconds === undefined ? { successIfNotExist: false } : { successIfNotExist: false, reserveSeconds },
    });
  }

  async recallApp(appId: number, newAppName: string): Promise<AppInfo> {
    return (await this.call(META_RPCS.RPC_CM_RECALL_APP, { appId, newAppName })).info;
  }

  async renameApp(oldAppName: string, newAppName: string): Promise<void> {
    await this.call(META_RPCS.RPC_CM_RENAME_APP, { oldAppName, newAppName });
  }

  async setAppEnvs(appName: string, keys: string[], values: string[]): Promise<void> {
    await this.call(META_RPCS.RPC_CM_UPDATE_APP_ENV, { appName, op: AppEnvOperation.APP_ENV_OP_SET, keys, values });
  }

  async delAppEnvs(appName: string, keys: string[]): Promise<void> {
    await this.call(META_RPCS.RPC_CM_UPDATE_APP_ENV, { appName, op: AppEnvOperation.APP_ENV_OP_DEL, keys });
  }

  async clearAppEnvs(appName: string, clearPrefix: string): Promise<void> {
    await this.call(META_RPCS.RPC_CM_UPDATE_APP_ENV, { appName, op: AppEnvOperation.APP_ENV_OP_CLEAR, clearPrefix });
  }

  /** RPC_CM_DDD_DIAGNOSE: app_id -1 for every table, partition_index -1 for every partition of the table. */
  async dddDiagnose(appId: number, partitionIndex: number): Promise<DddPartitionInfo[]> {
    return (await this.call(META_RPCS.RPC_CM_DDD_DIAGNOSE, { pid: { appId, partitionIndex } })).partitions;
  }

  /** The envs of one table, from list_apps (upstream's get_app_envs does the same). */
  async appEnvs(appName: string): Promise<Map<string, string>> {
    const app = (await this.listApps(AppStatus.AS_AVAILABLE)).find((a) => a.appName === appName);
    if (app === undefined) throw new AdminError('ERR_APP_NOT_EXIST', `table ${appName} does not exist`);
    return app.envs;
  }

  private async call<Args extends object, Response extends { err: string }>(rpc: MetaTwoWayRpc<Args, Response>, args: Args): Promise<Response> {
    const encoded = rpc.encodeArgs(args);
    let last: AdminError | undefined;
    for (let attempt = 0; attempt < this.metas.length * ROUNDS_MAX; attempt++) {
      if (attempt > 0 && attempt % this.metas.length === 0) await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      const address = this.metas[this.current]!;
      try {
        const reply = await this.channel.call(address, { name: rpc.code, gpid: { appId: 0, partitionIndex: 0 }, partitionHash: 0n, args: encoded, timeoutMs: this.timeoutMs });
        if (reply.errorName !== 'ERR_OK' || reply.result === undefined) {
          last = new AdminError(reply.errorName, `meta server ${address} answered ${rpc.code} with ${reply.errorName}`);
        } else {
          const response = rpc.decodeResponse(reply.result, 0);
          if (response.err === 'ERR_OK') return response;
          const hint = 'hintMessage' in response && typeof response.hintMessage === 'string' && response.hintMessage !== '' ? ` (${response.hintMessage})` : '';
          last = new AdminError(response.err, `${rpc.code} refused by meta server ${address}${hint}`);
          if (response.err !== 'ERR_FORWARD_TO_OTHERS' && response.err !== 'ERR_SERVICE_NOT_ACTIVE') throw last;
        }
      } catch (e) {
        if (e instanceof AdminError && e === last) throw e;
        if (!isPegasusError(e)) throw e;
        // The transport's message already starts with the code; keep it once.
        last = new AdminError(e.code, `meta server ${address}: ${e.message.replace(/^[A-Za-z_]+: /, '')}`);
      }
      this.current = (this.current + 1) % this.metas.length;
    }
    throw last ?? new AdminError('ERR_NETWORK_FAILURE', 'no meta server answered');
  }
}
