/**
 * The two small JSON files of a replica directory (contract; upstream replica_init.cpp / replica_app_info):
 * `.init-info` = {"ballot": B, "init_offset_in_private_log": 0}, written before the replica acts on a
 * higher ballot (pegasus-internals.md §2.2), and `.app-info` = the table's app_info with the thrift field
 * names the meta store uses. A file that does not parse is ERR_CORRUPTION: the stub moves the directory to
 * `.err` instead of serving from a replica whose identity it cannot trust.
 */
import { PegasusError } from '../../base/error-code.ts';
import { INIT_PARTITION_COUNT_UNSET, type AppInfo } from '../../idl/meta.ts';

export interface InitInfo {
  /** The highest ballot this replica has accepted (persisted before acting on it). */
  ballot: number;
  /** Mutations below this plog offset are invalid (a learner reset its log); 0 in this issue. */
  initOffsetInPrivateLog: number;
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PegasusError('ERR_CORRUPTION', `${what} is not JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PegasusError('ERR_CORRUPTION', `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function fieldReader(obj: Record<string, unknown>, what: string) {
  const bad = (key: string): PegasusError => new PegasusError('ERR_CORRUPTION', `${what}: bad ${key}`);
  return {
    bad,
    int(key: string): number {
      const v = obj[key];
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(key);
      return v;
    },
    str(key: string): string {
      const v = obj[key];
      if (typeof v !== 'string') throw bad(key);
      return v;
    },
  };
}

export function formatInitInfo(info: InitInfo): string {
  return JSON.stringify({ ballot: info.ballot, init_offset_in_private_log: info.initOffsetInPrivateLog });
}

export function parseInitInfo(text: string, what: string): InitInfo {
  const obj = parseObject(text, what);
  const read = fieldReader(obj, what);
  const ballot = read.int('ballot');
  if (ballot < 0) throw read.bad('ballot');
  return { ballot, initOffsetInPrivateLog: read.int('init_offset_in_private_log') };
}

export function formatAppInfo(info: AppInfo): string {
  return JSON.stringify({
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
  });
}

/** Parses `.app-info`; `appId` is the one the directory name says, which the file must agree with. */
export function parseAppInfo(text: string, appId: number, what: string): AppInfo {
  const obj = parseObject(text, what);
  const read = fieldReader(obj, what);
  const envsObj = obj.envs;
  if (typeof envsObj !== 'object' || envsObj === null || Array.isArray(envsObj)) throw read.bad('envs');
  const envs = new Map<string, string>();
  for (const [k, v] of Object.entries(envsObj)) {
    if (typeof v !== 'string') throw read.bad(`envs.${k}`);
    envs.set(k, v);
  }
  if (read.int('app_id') !== appId) throw read.bad('app_id (does not match the directory name)');
  const partitionCount = read.int('partition_count');
  if (partitionCount <= 0) throw read.bad('partition_count');
  return {
    status: read.int('status'),
    appType: read.str('app_type'),
    appName: read.str('app_name'),
    appId,
    partitionCount,
    envs,
    isStateful: obj.is_stateful === true,
    maxReplicaCount: read.int('max_replica_count'),
    expireSecond: read.int('expire_second'),
    createSecond: read.int('create_second'),
    dropSecond: read.int('drop_second'),
    initPartitionCount: obj.init_partition_count === undefined ? INIT_PARTITION_COUNT_UNSET : read.int('init_partition_count'),
    atomicIdempotent: obj.atomic_idempotent === true,
  };
}
