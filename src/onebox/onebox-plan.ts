/**
 * What a onebox is made of (pegasus-internals.md §1.3, upstream's `run.sh start_onebox`): the directory, the
 * roles with their ports, and the table the meta creates on its first boot. Options that ask for what this
 * build cannot do yet (ZooKeeper, several metas) or that could never become healthy (more replicas per
 * partition than replica servers) are refused here, before any process is started, with upstream's error names.
 */
import { resolve } from 'node:path';
import { PegasusError } from '../base/error-code.ts';

export const ONEBOX_DIR_DEFAULT = './onebox';
export const META_PORT_DEFAULT = 34601;
export const REPLICA_BASE_PORT_DEFAULT = 34801;
export const REPLICA_SERVER_COUNT_DEFAULT = 3;
export const PARTITION_COUNT_DEFAULT = 8;
export const APP_NAME_DEFAULT = 'temp';
/** upstream's default replica count (run.sh creates `temp` with 3 replicas on its 3 replica servers). */
export const MAX_REPLICA_COUNT_DEFAULT = 3;
/** upstream's `[meta_server] max_allowed_replica_count` default: the most replicas a table may have. */
const MAX_REPLICA_COUNT_MAX = 5;

/** The tracker issue named when a ZooKeeper setup is asked for. */
const ZOOKEEPER_ISSUE = 'ZooKeeper issue';

/** Raw command-line options, as commander hands them over (strings until checked). */
export interface OneboxCliOptions {
  readonly dir?: string;
  readonly metaCount?: string;
  readonly replicaServerCount?: string;
  readonly partitionCount?: string;
  readonly appName?: string;
  readonly maxReplicaCount?: string;
  readonly zk?: string;
  readonly waitHealthy?: boolean;
  readonly metaPort?: string;
  readonly replicaBasePort?: string;
}

export type RoleKind = 'meta' | 'replica';

export interface OneboxRole {
  /** `meta1`, `replica1`, ...: the role's folder under the onebox directory, as upstream's layout. */
  readonly name: string;
  readonly kind: RoleKind;
  readonly port: number;
}

export interface OneboxPlan {
  /** Absolute, so the configs stay valid whatever the working directory of a later command. */
  readonly dir: string;
  readonly roles: readonly OneboxRole[];
  readonly appName: string;
  readonly partitionCount: number;
  readonly maxReplicaCount: number;
  readonly waitHealthy: boolean;
  /** Node options every role starts with (`pegasus bench --profile` passes `--cpu-prof`); none by default. */
  readonly nodeArgs?: readonly string[];
}

function integerOption(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `--${name} must be an integer in [${min}, ${max}], got '${text}'`);
  }
  return value;
}

/** The directory alone: enough for `stop`, `list` and `clear`. */
export function oneboxDirOf(options: Pick<OneboxCliOptions, 'dir'>): string {
  return resolve(options.dir ?? ONEBOX_DIR_DEFAULT);
}

export function planOnebox(options: OneboxCliOptions): OneboxPlan {
  if (options.zk !== undefined) {
    throw new PegasusError('ERR_NOT_IMPLEMENTED', `--zk ${options.zk}: a onebox on ZooKeeper is not available yet (${ZOOKEEPER_ISSUE}); drop --zk to use the embedded store`);
  }
  const metaCount = integerOption('meta-count', options.metaCount, 1, 1, 9);
  if (metaCount > 1) {
    throw new PegasusError('ERR_NOT_IMPLEMENTED', `--meta-count ${metaCount}: several meta servers need ZooKeeper, which is not available yet (${ZOOKEEPER_ISSUE}); the embedded store runs one meta`);
  }
  const replicaServerCount = integerOption('replica-server-count', options.replicaServerCount, REPLICA_SERVER_COUNT_DEFAULT, 1, 64);
  // Unasked, a smaller onebox (`--replica-server-count 1`) gets as many replicas as it has servers.
  const maxReplicaCountDefault = Math.min(MAX_REPLICA_COUNT_DEFAULT, replicaServerCount);
  const maxReplicaCount = integerOption('max-replica-count', options.maxReplicaCount, maxReplicaCountDefault, 1, MAX_REPLICA_COUNT_MAX);
  // Each replica of a partition needs its own server: with fewer servers the table is never healthy (the
  // upstream meta's create_app refuses more replicas than alive servers for the same reason).
  if (maxReplicaCount > replicaServerCount) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `--max-replica-count ${maxReplicaCount} needs at least ${maxReplicaCount} replica servers, got --replica-server-count ${replicaServerCount} (lower --max-replica-count or add servers)`);
  }
  const partitionCount = integerOption('partition-count', options.partitionCount, PARTITION_COUNT_DEFAULT, 1, 4096);
  const metaPort = integerOption('meta-port', options.metaPort, META_PORT_DEFAULT, 1, 65535);
  const replicaBasePort = integerOption('replica-base-port', options.replicaBasePort, REPLICA_BASE_PORT_DEFAULT, 1, 65535 - replicaServerCount + 1);
  const appName = options.appName ?? APP_NAME_DEFAULT;
  // The name becomes an INI section name (`[meta_server.apps.<name>]`), so it must not break the file.
  if (!/^[A-Za-z0-9_.-]+$/.test(appName)) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `--app-name '${appName}': use letters, digits, '_', '.' or '-'`);
  }
  const roles: OneboxRole[] = [{ name: 'meta1', kind: 'meta', port: metaPort }];
  for (let i = 0; i < replicaServerCount; i++) roles.push({ name: `replica${i + 1}`, kind: 'replica', port: replicaBasePort + i });
  const ports = new Set(roles.map((r) => r.port));
  if (ports.size !== roles.length) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `--meta-port ${metaPort} falls inside the replica ports ${replicaBasePort}..${replicaBasePort + replicaServerCount - 1}`);
  }
  return { dir: oneboxDirOf(options), roles, appName, partitionCount, maxReplicaCount, waitHealthy: options.waitHealthy === true };
}
