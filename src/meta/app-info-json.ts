/**
 * app_info in the store (contract: `<root>/apps/<app_id>` holds it as JSON), with upstream's thrift field
 * names as its ZooKeeper layout uses them (`app_info` is written with the thrift JSON-ish names there).
 */
import { PegasusError } from '../base/error-code.ts';
import { INIT_PARTITION_COUNT_UNSET, type AppInfo } from '../idl/meta.ts';
import { parseJsonObject } from './partition-config.ts';

export function appInfoToJson(info: AppInfo): Buffer {
  return Buffer.from(
    JSON.stringify({
      status: info.status,
      app_type: info.appType,
      app_name: info.appName,
      app_id: info.appId,
      partition_count: info.partitionCount,
      envs: Object.fromEntries(info.envs),
      is_stateful: info.isStateful,
      max_replica_count: info.maxReplicaCount,
      expire_second: info.expireSecond,
      create_second: info.createSecond,
      drop_second: info.dropSecond,
      init_partition_count: info.initPartitionCount,
      atomic_idempotent: info.atomicIdempotent === true,
    }),
  );
}

export function appInfoFromJson(data: Buffer, appId: number): AppInfo {
  const what = `app ${appId}`;
  const obj = parseJsonObject(data, what);
  const bad = (key: string): PegasusError => new PegasusError('ERR_CORRUPTION', `meta store: ${what}: bad ${key}`);
  const int = (key: string): number => {
    const v = obj[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(key);
    return v;
  };
  const str = (key: string): string => {
    const v = obj[key];
    if (typeof v !== 'string') throw bad(key);
    return v;
  };
  const envsObj = obj.envs;
  if (typeof envsObj !== 'object' || envsObj === null || Array.isArray(envsObj)) throw bad('envs');
  const envs = new Map<string, string>();
  for (const [k, v] of Object.entries(envsObj)) {
    if (typeof v !== 'string') throw bad(`envs.${k}`);
    envs.set(k, v);
  }
  if (int('app_id') !== appId) throw bad('app_id (does not match its path)');
  const initPartitionCount = obj.init_partition_count === undefined ? INIT_PARTITION_COUNT_UNSET : int('init_partition_count');
  return {
    status: int('status'),
    appType: str('app_type'),
    appName: str('app_name'),
    appId,
    partitionCount: int('partition_count'),
    envs,
    isStateful: obj.is_stateful === true,
    maxReplicaCount: int('max_replica_count'),
    expireSecond: int('expire_second'),
    createSecond: int('create_second'),
    dropSecond: int('drop_second'),
    initPartitionCount,
    atomicIdempotent: obj.atomic_idempotent === true,
  };
}

export function cloneAppInfo(info: AppInfo, changes: Partial<AppInfo> = {}): AppInfo {
  return { ...info, envs: new Map(info.envs), ...changes };
}
