/**
 * app_info as JSON, with upstream's thrift field names (the form its ZooKeeper layout uses): what the meta
 * stores under `<root>/apps/<app_id>` and what a replica keeps in its `.app-info`. Unreadable content is
 * ERR_CORRUPTION: neither side may act on a table identity it cannot trust.
 */
import { PegasusError } from '../../base/error-code.ts';
import { INIT_PARTITION_COUNT_UNSET, type AppInfo } from '../meta.ts';

export function formatAppInfoJson(info: AppInfo): string {
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

/** Parses a JSON object, or ERR_CORRUPTION naming `what`. */
export function parseJsonObjectText(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PegasusError('ERR_CORRUPTION', `${what} is not JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PegasusError('ERR_CORRUPTION', `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Typed field reads of a parsed JSON object; a missing or mistyped field is ERR_CORRUPTION. */
export function jsonFieldReader(obj: Record<string, unknown>, what: string) {
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

/** Parses app_info JSON; `appId` is the one its location says, which the content must agree with. */
export function parseAppInfoJson(text: string, appId: number, what: string): AppInfo {
  const obj = parseJsonObjectText(text, what);
  const read = jsonFieldReader(obj, what);
  const envsObj = obj.envs;
  if (typeof envsObj !== 'object' || envsObj === null || Array.isArray(envsObj)) throw read.bad('envs');
  const envs = new Map<string, string>();
  for (const [k, v] of Object.entries(envsObj)) {
    if (typeof v !== 'string') throw read.bad(`envs.${k}`);
    envs.set(k, v);
  }
  if (read.int('app_id') !== appId) throw read.bad('app_id (does not match where it is stored)');
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
