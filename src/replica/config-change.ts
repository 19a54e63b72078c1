/**
 * The configuration a replica asks the meta for (pegasus-internals.md §2.7, RPC_CM_UPDATE_PARTITION_CONFIGURATION):
 * the current one at ballot + 1 with exactly the change `type` makes about `node`, and the sender's commit
 * point filled in. Undefined when the change makes no sense for that configuration (nothing to do).
 */
import type { PartitionConfiguration } from '../idl/meta.ts';
import { ConfigType } from '../idl/replication.ts';
import { RPC_ADDRESS_INVALID, fromWireAddress, toWireAddress } from '../idl/thrift/dsn.ts';
import type { RpcAddress } from '../rpc/transport.ts';

/** Who asks, at which ballot, knowing what committed. */
export interface ChangeContext {
  readonly self: RpcAddress;
  readonly ballot: number;
  readonly committedDecree: number;
}

export function nextConfig(pc: PartitionConfiguration, type: number, node: RpcAddress, context: ChangeContext): PartitionConfiguration | undefined {
  const { self } = context;
  const wire = toWireAddress(node);
  const without = pc.secondaries.filter((a) => fromWireAddress(a) !== node);
  // Upstream fills in the sender's commit point: the meta keeps it, and the DDD rule refuses a candidate
  // that has prepared less than that.
  const lastCommittedDecree = Math.max(pc.lastCommittedDecree, context.committedDecree);
  const base = { ...pc, ballot: context.ballot + 1, lastCommittedDecree, hpPrimary: undefined, hpSecondaries: undefined, hpLastDrops: undefined };
  // A node joining the membership is no longer a drop (the meta maintains last_drops the same way).
  const joined = { ...base, lastDrops: pc.lastDrops.filter((a) => fromWireAddress(a) !== node) };
  switch (type) {
    case ConfigType.CT_DOWNGRADE_TO_INACTIVE:
    case ConfigType.CT_REMOVE:
      if (node === self) return { ...base, primary: fromWireAddress(pc.primary) === self ? { ...RPC_ADDRESS_INVALID } : pc.primary, secondaries: without };
      if (without.length === pc.secondaries.length) return undefined;
      return { ...base, secondaries: without };
    case ConfigType.CT_UPGRADE_TO_SECONDARY:
      if (pc.secondaries.some((a) => fromWireAddress(a) === node)) return undefined;
      return { ...joined, secondaries: [...pc.secondaries, wire] };
    case ConfigType.CT_ASSIGN_PRIMARY:
      return { ...joined, primary: toWireAddress(self), secondaries: [] };
    case ConfigType.CT_UPGRADE_TO_PRIMARY:
      return { ...joined, primary: toWireAddress(self), secondaries: pc.secondaries.filter((a) => fromWireAddress(a) !== self) };
    default:
      return undefined;
  }
}
