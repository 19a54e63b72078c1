/**
 * The meta's in-memory form of a partition_configuration, with addresses as "a.b.c.d:port" strings (so
 * they key Maps and compare with ===), and its conversions to the wire struct and to the store's JSON
 * (contract: `<root>/apps/<app_id>/<pidx>` holds the configuration as JSON, addresses as strings, in the
 * snake_case names upstream's meta writes to ZooKeeper).
 */
import { parseJsonObjectText } from '../idl/codec/app-info-json.ts';
import { PegasusError } from '../base/error-code.ts';
import type { PartitionConfiguration } from '../idl/meta.ts';
import {
  HostPortType,
  RPC_ADDRESS_INVALID,
  formatRpcAddress as formatWireAddress,
  isValidRpcAddress,
  parseRpcAddress as parseWireAddress,
  type HostPort,
  type RpcAddress as WireAddress,
} from '../idl/thrift/dsn.ts';
import type { RpcAddress } from '../rpc/transport.ts';

/** upstream keeps at most this many last_drops per partition (pegasus-internals.md §9 item 18). */
export const LAST_DROPS_MAX = 3;

export interface PartitionConfig {
  readonly appId: number;
  readonly partitionIndex: number;
  readonly ballot: number;
  readonly maxReplicaCount: number;
  /** undefined = no primary (dsn's invalid address on the wire). */
  readonly primary: RpcAddress | undefined;
  readonly secondaries: readonly RpcAddress[];
  /** Oldest first, newest last; at most LAST_DROPS_MAX. */
  readonly lastDrops: readonly RpcAddress[];
  readonly lastCommittedDecree: number;
  readonly partitionFlags: number;
}

export function gpidKey(appId: number, partitionIndex: number): string {
  return `${appId}.${partitionIndex}`;
}

export function newPartitionConfig(appId: number, partitionIndex: number, maxReplicaCount: number): PartitionConfig {
  return { appId, partitionIndex, ballot: 0, maxReplicaCount, primary: undefined, secondaries: [], lastDrops: [], lastCommittedDecree: 0, partitionFlags: 0 };
}

/** Appends `node` to last_drops (moving it to the newest place) and keeps the newest LAST_DROPS_MAX. */
export function withLastDrop(lastDrops: readonly RpcAddress[], node: RpcAddress): RpcAddress[] {
  const out = lastDrops.filter((n) => n !== node);
  out.push(node);
  return out.slice(-LAST_DROPS_MAX);
}

/**
 * upstream's `is_partition_config_equal`, the idempotence check of an update request: ballot, primary,
 * secondaries (as a set), max_replica_count and last_committed_decree. last_drops is left out on purpose —
 * the meta rewrites it, so a replica resending its request carries the list it had before (upstream's
 * comment: "the meta has update the last_drops, and we should reply with new last_drops").
 */
export function isSameConfig(a: PartitionConfig, b: PartitionConfig): boolean {
  return (
    a.ballot === b.ballot &&
    a.primary === b.primary &&
    a.secondaries.length === b.secondaries.length &&
    a.secondaries.every((s) => b.secondaries.includes(s)) &&
    a.maxReplicaCount === b.maxReplicaCount &&
    a.lastCommittedDecree === b.lastCommittedDecree
  );
}

export function isMember(pc: PartitionConfig, node: RpcAddress): boolean {
  return pc.primary === node || pc.secondaries.includes(node);
}

/** upstream's `replica_count(pc)`: the primary (if any) plus the secondaries. */
export function memberCount(pc: PartitionConfig): number {
  return (pc.primary === undefined ? 0 : 1) + pc.secondaries.length;
}

function toWireAddress(address: RpcAddress): WireAddress {
  const wire = parseWireAddress(address);
  if (wire === undefined) throw new PegasusError('ERR_INVALID_PARAMETERS', `${address} is not an IPv4 host:port`);
  return wire;
}

function fromWireAddress(address: WireAddress): RpcAddress | undefined {
  return isValidRpcAddress(address) ? formatWireAddress(address) : undefined;
}

function toHostPort(address: RpcAddress): HostPort {
  const wire = toWireAddress(address);
  return { host: formatWireAddress(wire).split(':')[0]!, port: wire.port, type: HostPortType.HOST_TYPE_IPV4 };
}

/**
 * The wire form. The optional host_port twins (hp_primary, hp_secondaries, hp_last_drops) are sent too, as a
 * modern upstream meta does (protocol.md §2); every client still routes by the rpc_address fields.
 */
export function toWireConfig(pc: PartitionConfig): PartitionConfiguration {
  return {
    pid: { appId: pc.appId, partitionIndex: pc.partitionIndex },
    ballot: pc.ballot,
    maxReplicaCount: pc.maxReplicaCount,
    primary: pc.primary === undefined ? { ...RPC_ADDRESS_INVALID } : toWireAddress(pc.primary),
    secondaries: pc.secondaries.map(toWireAddress),
    lastDrops: pc.lastDrops.map(toWireAddress),
    lastCommittedDecree: pc.lastCommittedDecree,
    partitionFlags: pc.partitionFlags,
    ...(pc.primary === undefined ? {} : { hpPrimary: toHostPort(pc.primary) }),
    hpSecondaries: pc.secondaries.map(toHostPort),
    hpLastDrops: pc.lastDrops.map(toHostPort),
  };
}

/** The wire struct in memory form; invalid addresses in the lists are dropped (they mean nothing there). */
export function fromWireConfig(wire: PartitionConfiguration): PartitionConfig {
  const list = (xs: readonly WireAddress[]): RpcAddress[] => xs.map(fromWireAddress).filter((a): a is RpcAddress => a !== undefined);
  return {
    appId: wire.pid.appId,
    partitionIndex: wire.pid.partitionIndex,
    ballot: wire.ballot,
    maxReplicaCount: wire.maxReplicaCount,
    primary: fromWireAddress(wire.primary),
    secondaries: list(wire.secondaries),
    lastDrops: list(wire.lastDrops),
    lastCommittedDecree: wire.lastCommittedDecree,
    partitionFlags: wire.partitionFlags,
  };
}

/** dsn's invalid address as text, for the JSON form of an absent primary. */
const INVALID_ADDRESS_TEXT = formatWireAddress(RPC_ADDRESS_INVALID);

export function partitionConfigToJson(pc: PartitionConfig): Buffer {
  return Buffer.from(
    JSON.stringify({
      pid: gpidKey(pc.appId, pc.partitionIndex),
      ballot: pc.ballot,
      max_replica_count: pc.maxReplicaCount,
      primary: pc.primary ?? INVALID_ADDRESS_TEXT,
      secondaries: pc.secondaries,
      last_drops: pc.lastDrops,
      last_committed_decree: pc.lastCommittedDecree,
      partition_flags: pc.partitionFlags,
    }),
  );
}

function corrupt(what: string): PegasusError {
  return new PegasusError('ERR_CORRUPTION', `meta store: ${what}`);
}

function num(obj: Record<string, unknown>, key: string, what: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw corrupt(`${what}: ${key} is not an integer`);
  return v;
}

function addresses(obj: Record<string, unknown>, key: string, what: string): RpcAddress[] {
  const v = obj[key];
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string' && parseWireAddress(x) !== undefined)) {
    throw corrupt(`${what}: ${key} is not a list of host:port`);
  }
  return v;
}

export function parseJsonObject(data: Buffer, what: string): Record<string, unknown> {
  return parseJsonObjectText(data.toString('utf8'), `meta store: ${what}`);
}

export function partitionConfigFromJson(data: Buffer, appId: number, partitionIndex: number): PartitionConfig {
  const what = `partition ${gpidKey(appId, partitionIndex)}`;
  const obj = parseJsonObject(data, what);
  if (obj.pid !== gpidKey(appId, partitionIndex)) throw corrupt(`${what}: pid ${String(obj.pid)} does not match its path`);
  const primaryText = obj.primary;
  if (typeof primaryText !== 'string' || parseWireAddress(primaryText) === undefined) throw corrupt(`${what}: bad primary`);
  return {
    appId,
    partitionIndex,
    ballot: num(obj, 'ballot', what),
    maxReplicaCount: num(obj, 'max_replica_count', what),
    primary: primaryText === INVALID_ADDRESS_TEXT ? undefined : primaryText,
    secondaries: addresses(obj, 'secondaries', what),
    lastDrops: addresses(obj, 'last_drops', what),
    lastCommittedDecree: num(obj, 'last_committed_decree', what),
    partitionFlags: num(obj, 'partition_flags', what),
  };
}
