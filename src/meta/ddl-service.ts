/**
 * Table DDL (pegasus-internals.md §5.10, protocol.md §6, §11): create, drop (soft delete), recall, rename,
 * envs, list. Every operation runs on the DDL queue, validates against memory, writes the store, and only
 * then changes memory (a store failure leaves memory unchanged and becomes the reply's error).
 */
import { assert } from '../base/assert.ts';
import { isPegasusError, type ErrorCode } from '../base/error-code.ts';
import {
  AppEnvOperation,
  AppStatus,
  INIT_PARTITION_COUNT_UNSET,
  PatternMatchType,
  type AppInfo,
  type ConfigurationCreateAppRequest,
  type ConfigurationCreateAppResponse,
  type ConfigurationDropAppRequest,
  type ConfigurationDropAppResponse,
  type ConfigurationListAppsRequest,
  type ConfigurationListAppsResponse,
  type ConfigurationRecallAppRequest,
  type ConfigurationRecallAppResponse,
  type ConfigurationRenameAppRequest,
  type ConfigurationRenameAppResponse,
  type ConfigurationUpdateAppEnvRequest,
  type ConfigurationUpdateAppEnvResponse,
} from '../idl/meta.ts';
import type { MetaStateStore, TransactionOp } from '../metastore/meta-state-store.ts';
import { appInfoToJson, cloneAppInfo } from './app-info-json.ts';
import type { MetaServerConfig } from './meta-env.ts';
import { newPartitionConfig, partitionConfigToJson, withLastDrop, type PartitionConfig } from './partition-config.ts';
import type { SerialQueue } from './serial-queue.ts';
import { nextAppIdJson, type ServerState } from './server-state.ts';

/** upstream's app name rule (`validate_app_name`): letters, digits, `_`, `.`, `:`. */
const APP_NAME_PATTERN = /^[a-zA-Z0-9_.:]{1,255}$/;

/** A name with a DDL in flight: query_cfg and other DDLs on it answer BUSY, as upstream's transient statuses. */
export type TransientStatus = 'creating' | 'dropping' | 'recalling';

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function storeErrorCode(e: unknown): ErrorCode {
  return isPegasusError(e) ? e.code : 'ERR_UNKNOWN';
}

export function emptyAppInfo(): AppInfo {
  return {
    status: AppStatus.AS_INVALID, appType: '', appName: '', appId: 0, partitionCount: 0, envs: new Map(), isStateful: false,
    maxReplicaCount: 0, expireSecond: 0, createSecond: 0, dropSecond: 0, initPartitionCount: INIT_PARTITION_COUNT_UNSET,
  };
}

export class DdlService {
  /** Names with a DDL in flight (bounded by the DDL queue: one at a time). */
  readonly transient = new Map<string, TransientStatus>();

  constructor(
    private readonly state: ServerState,
    private readonly store: MetaStateStore,
    private readonly queue: SerialQueue,
    private readonly config: MetaServerConfig,
    private readonly nowMs: () => number,
    /** Called after memory changed, so the guardian can assign primaries right away. */
    private readonly onAppsChanged: () => void,
    /** Resolves when no partition write of the app is in flight (PartitionService.whenIdle). */
    private readonly partitionWritesIdle: (appId: number) => Promise<void>,
  ) {}

  private nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** Runs on the queue; ERR_BUSY when the queue is full. */
  private queued<T>(busy: T, task: () => Promise<T>): Promise<T> {
    return this.queue.run(task).catch((e: unknown) => {
      if (isPegasusError(e, 'ERR_BUSY')) return busy;
      throw e;
    });
  }

  private busyCode(name: string): ErrorCode | undefined {
    const t = this.transient.get(name);
    return t === undefined ? undefined : t === 'dropping' ? 'ERR_BUSY_DROPPING' : 'ERR_BUSY_CREATING';
  }

  createApp(request: ConfigurationCreateAppRequest): Promise<ConfigurationCreateAppResponse> {
    return this.queued({ err: 'ERR_BUSY', appid: 0 }, async () => {
      const { appName, options } = request;
      const invalid = { err: 'ERR_INVALID_PARAMETERS' as const, appid: 0 };
      if (!APP_NAME_PATTERN.test(appName)) return invalid;
      if (!isPowerOfTwo(options.partitionCount)) return invalid;
      if (options.replicaCount < this.config.minAllowedReplicaCount || options.replicaCount > this.config.maxAllowedReplicaCount) return invalid;
      const busy = this.busyCode(appName);
      if (busy !== undefined) return { err: busy, appid: 0 };
      const existing = this.state.appByName(appName);
      if (existing !== undefined) {
        if (!options.successIfExist) return { err: 'ERR_APP_EXIST', appid: existing.info.appId };
        const same = existing.info.partitionCount === options.partitionCount && existing.info.maxReplicaCount === options.replicaCount && existing.info.appType === options.appType;
        return same ? { err: 'ERR_OK', appid: existing.info.appId } : invalid;
      }
      const appId = this.state.nextAppId;
      const info: AppInfo = {
        status: AppStatus.AS_AVAILABLE, appType: options.appType === '' ? 'pegasus' : options.appType, appName, appId,
        partitionCount: options.partitionCount, envs: new Map(options.envs), isStateful: true, maxReplicaCount: options.replicaCount,
        expireSecond: 0, createSecond: this.nowSeconds(), dropSecond: 0, initPartitionCount: options.partitionCount,
        atomicIdempotent: options.atomicIdempotent === true,
      };
      const partitions: PartitionConfig[] = [];
      for (let i = 0; i < info.partitionCount; i++) partitions.push(newPartitionConfig(appId, i, info.maxReplicaCount));
      // One transaction (contract): the app, every partition, and the advanced counter, all or nothing; the app
      // is written AVAILABLE because nothing can observe a half-created table in the store.
      const ops: TransactionOp[] = [
        { kind: 'create', path: this.state.paths.app(appId), data: appInfoToJson(info) },
        ...partitions.map((pc): TransactionOp => ({ kind: 'create', path: this.state.paths.partition(appId, pc.partitionIndex), data: partitionConfigToJson(pc) })),
        { kind: 'set', path: this.state.paths.meta, data: nextAppIdJson(appId + 1) },
      ];
      this.transient.set(appName, 'creating');
      try {
        await this.store.submitTransaction(ops);
      } catch (e) {
        return { err: storeErrorCode(e), appid: 0 };
      } finally {
        this.transient.delete(appName);
      }
      this.state.nextAppId = appId + 1;
      this.state.applyApp(info, partitions);
      this.onAppsChanged();
      return { err: 'ERR_OK', appid: appId };
    });
  }

  dropApp(request: ConfigurationDropAppRequest): Promise<ConfigurationDropAppResponse> {
    return this.queued({ err: 'ERR_BUSY' }, async () => {
      const busy = this.busyCode(request.appName);
      if (busy !== undefined) return { err: busy };
      const found = this.state.appByName(request.appName);
      if (found === undefined) return { err: request.options.successIfNotExist ? 'ERR_OK' : 'ERR_APP_NOT_EXIST' };
      // Marked dropping first: no new partition write starts; then the ones in flight land before ours.
      this.transient.set(request.appName, 'dropping');
      try {
        await this.partitionWritesIdle(found.info.appId);
      } catch (e) {
        this.transient.delete(request.appName);
        throw e;
      }
      const app = this.state.apps.get(found.info.appId);
      assert(app !== undefined, `app ${found.info.appId} vanished while its drop waited`);
      const dropSecond = this.nowSeconds();
      const reserve = request.options.reserveSeconds !== undefined && request.options.reserveSeconds > 0 ? request.options.reserveSeconds : this.config.holdSecondsForDroppedApp;
      const info = cloneAppInfo(app.info, { status: AppStatus.AS_DROPPED, dropSecond, expireSecond: dropSecond + reserve });
      // upstream's CT_DROP_PARTITION: members move to last_drops under ballot + 1, so a recall finds the
      // nodes holding the data through the last_drops rule of the cure (F3b).
      const partitions = app.partitions.map((pc): PartitionConfig => {
        let lastDrops = [...pc.lastDrops];
        for (const node of [...pc.secondaries, ...(pc.primary === undefined ? [] : [pc.primary])]) lastDrops = withLastDrop(lastDrops, node);
        return { ...pc, ballot: pc.ballot + 1, primary: undefined, secondaries: [], lastDrops };
      });
      const ops: TransactionOp[] = [
        { kind: 'set', path: this.state.paths.app(info.appId), data: appInfoToJson(info) },
        ...partitions.map((pc): TransactionOp => ({ kind: 'set', path: this.state.paths.partition(pc.appId, pc.partitionIndex), data: partitionConfigToJson(pc) })),
      ];
      try {
        await this.store.submitTransaction(ops);
      } catch (e) {
        return { err: storeErrorCode(e) };
      } finally {
        this.transient.delete(request.appName);
      }
      this.state.applyApp(info, partitions);
      this.onAppsChanged();
      return { err: 'ERR_OK' };
    });
  }

  recallApp(request: ConfigurationRecallAppRequest): Promise<ConfigurationRecallAppResponse> {
    return this.queued({ err: 'ERR_BUSY', info: emptyAppInfo() }, async () => {
      const app = this.state.apps.get(request.appId);
      const notExist = { err: 'ERR_APP_NOT_EXIST' as const, info: emptyAppInfo() };
      if (app === undefined) return notExist;
      if (app.info.status !== AppStatus.AS_DROPPED) return { err: 'ERR_APP_EXIST', info: app.info };
      // Past the reservation the data may be collected; upstream refuses the recall then.
      if (this.nowSeconds() >= app.info.expireSecond) return notExist;
      const name = request.newAppName === '' ? app.info.appName : request.newAppName;
      if (!APP_NAME_PATTERN.test(name)) return { err: 'ERR_INVALID_PARAMETERS', info: emptyAppInfo() };
      const busy = this.busyCode(name);
      if (busy !== undefined) return { err: busy, info: emptyAppInfo() };
      if (this.state.appByName(name) !== undefined) return { err: 'ERR_APP_EXIST', info: emptyAppInfo() };
      const info = cloneAppInfo(app.info, { status: AppStatus.AS_AVAILABLE, appName: name, dropSecond: 0, expireSecond: 0 });
      this.transient.set(name, 'recalling');
      try {
        await this.store.setData(this.state.paths.app(info.appId), appInfoToJson(info));
      } catch (e) {
        return { err: storeErrorCode(e), info: emptyAppInfo() };
      } finally {
        this.transient.delete(name);
      }
      this.state.applyApp(info);
      this.onAppsChanged();
      return { err: 'ERR_OK', info };
    });
  }

  renameApp(request: ConfigurationRenameAppRequest): Promise<ConfigurationRenameAppResponse> {
    return this.queued({ err: 'ERR_BUSY', hintMessage: 'too many meta operations queued' }, async () => {
      const { oldAppName, newAppName } = request;
      const app = this.state.appByName(oldAppName);
      if (app === undefined || this.transient.has(oldAppName)) return { err: 'ERR_APP_NOT_EXIST', hintMessage: `app ${oldAppName} does not exist` };
      if (!APP_NAME_PATTERN.test(newAppName)) return { err: 'ERR_INVALID_PARAMETERS', hintMessage: `invalid app name ${newAppName}` };
      if (this.state.appByName(newAppName) !== undefined || this.transient.has(newAppName)) {
        return { err: 'ERR_APP_EXIST', hintMessage: `app ${newAppName} already exists` };
      }
      if (app.info.status !== AppStatus.AS_AVAILABLE) return { err: 'ERR_INVALID_STATE', hintMessage: `app ${oldAppName} is not available` };
      const info = cloneAppInfo(app.info, { appName: newAppName });
      try {
        await this.store.setData(this.state.paths.app(info.appId), appInfoToJson(info));
      } catch (e) {
        return { err: storeErrorCode(e), hintMessage: 'the meta store refused the write' };
      }
      this.state.applyApp(info);
      return { err: 'ERR_OK', hintMessage: '' };
    });
  }

  updateAppEnv(request: ConfigurationUpdateAppEnvRequest): Promise<ConfigurationUpdateAppEnvResponse> {
    return this.queued({ err: 'ERR_BUSY', hintMessage: 'too many meta operations queued' }, async () => {
      const app = this.state.appByName(request.appName);
      if (app === undefined || this.transient.has(request.appName)) return { err: 'ERR_APP_NOT_EXIST', hintMessage: `app ${request.appName} does not exist` };
      const envs = new Map(app.info.envs);
      const keys = request.keys ?? [];
      const hint: string[] = [];
      switch (request.op) {
        case AppEnvOperation.APP_ENV_OP_SET: {
          const values = request.values ?? [];
          if (keys.length === 0 || keys.length !== values.length) return { err: 'ERR_INVALID_PARAMETERS', hintMessage: 'keys and values must be non-empty and of equal length' };
          keys.forEach((k, i) => envs.set(k, values[i] ?? ''));
          break;
        }
        case AppEnvOperation.APP_ENV_OP_DEL:
          if (keys.length === 0) return { err: 'ERR_INVALID_PARAMETERS', hintMessage: 'no keys to delete' };
          for (const k of keys) if (!envs.delete(k)) hint.push(`${k} does not exist`);
          break;
        case AppEnvOperation.APP_ENV_OP_CLEAR: {
          const prefix = request.clearPrefix ?? '';
          for (const k of [...envs.keys()]) if (prefix === '' || k.startsWith(`${prefix}.`)) envs.delete(k);
          break;
        }
        default:
          return { err: 'ERR_INVALID_PARAMETERS', hintMessage: `unknown app_env_operation ${request.op}` };
      }
      const info = cloneAppInfo(app.info, { envs });
      try {
        await this.store.setData(this.state.paths.app(info.appId), appInfoToJson(info));
      } catch (e) {
        return { err: storeErrorCode(e), hintMessage: 'the meta store refused the write' };
      }
      this.state.applyApp(info);
      return { err: 'ERR_OK', hintMessage: hint.join('\n') };
    });
  }

  /** Synchronous: a read of memory. */
  listApps(request: ConfigurationListAppsRequest): ConfigurationListAppsResponse {
    const pattern = request.appNamePattern ?? '';
    const type = request.matchType ?? PatternMatchType.PMT_INVALID;
    let matches: (name: string) => boolean;
    switch (pattern === '' ? PatternMatchType.PMT_MATCH_ALL : type) {
      case PatternMatchType.PMT_INVALID:
      case PatternMatchType.PMT_MATCH_ALL:
        matches = () => true;
        break;
      case PatternMatchType.PMT_MATCH_EXACT:
        matches = (n) => n === pattern;
        break;
      case PatternMatchType.PMT_MATCH_ANYWHERE:
        matches = (n) => n.includes(pattern);
        break;
      case PatternMatchType.PMT_MATCH_PREFIX:
        matches = (n) => n.startsWith(pattern);
        break;
      case PatternMatchType.PMT_MATCH_POSTFIX:
        matches = (n) => n.endsWith(pattern);
        break;
      case PatternMatchType.PMT_MATCH_REGEX: {
        let re: RegExp;
        try {
          re = new RegExp(pattern);
        } catch {
          return { err: 'ERR_INVALID_PARAMETERS', infos: [], hintMessage: `invalid regex ${pattern}` };
        }
        matches = (n) => re.test(n);
        break;
      }
      default:
        return { err: 'ERR_INVALID_PARAMETERS', infos: [], hintMessage: `unknown pattern_match_type ${type}` };
    }
    const infos = [...this.state.apps.values()]
      .map((a) => a.info)
      .filter((info) => (request.status === AppStatus.AS_INVALID || info.status === request.status) && matches(info.appName))
      .sort((a, b) => a.appId - b.appId);
    return { err: 'ERR_OK', infos };
  }
}
