/**
 * The failure detector's master side (pegasus-internals.md §2.6, contract F1): a replica server is ALIVE
 * from its first beacon and DEAD once `now − lastBeaconReceivedMs > fd_grace_seconds`, checked every
 * `fd_check_interval_seconds`. Grace is counted from the last beacon *received*, which is later than the
 * send time the worker counts its (shorter) lease from, so a worker stops serving before the meta acts.
 */
import type { RpcAddress } from '../rpc/transport.ts';

export interface NodeRecord {
  readonly address: RpcAddress;
  alive: boolean;
  lastBeaconReceivedMs: number;
  /** The worker process's start time from its beacon; a change means it restarted. */
  startTimeMs: number;
}

export interface LivenessChange {
  readonly address: RpcAddress;
  readonly alive: boolean;
}

export class NodeLiveness {
  private readonly nodes = new Map<RpcAddress, NodeRecord>();

  constructor(
    private readonly graceMs: number,
    private readonly nodesMax: number,
    /** `[replication] fd_disabled`: nodes never turn dead (tests only). */
    private readonly disabled: boolean,
  ) {}

  /**
   * Records a beacon. Returns 'refused' when the node table is full (the ack says allowed = false),
   * 'alive' when the node turned alive with it, else 'same'.
   */
  onBeacon(address: RpcAddress, nowMs: number, startTimeMs: number): 'refused' | 'alive' | 'same' {
    let node = this.nodes.get(address);
    if (node === undefined) {
      if (this.nodes.size >= this.nodesMax) return 'refused';
      node = { address, alive: false, lastBeaconReceivedMs: nowMs, startTimeMs };
      this.nodes.set(address, node);
    }
    node.lastBeaconReceivedMs = Math.max(node.lastBeaconReceivedMs, nowMs);
    node.startTimeMs = startTimeMs;
    if (node.alive) return 'same';
    node.alive = true;
    return 'alive';
  }

  /** The nodes that turned dead at `nowMs`. */
  check(nowMs: number): LivenessChange[] {
    if (this.disabled) return [];
    const changes: LivenessChange[] = [];
    for (const node of this.nodes.values()) {
      if (node.alive && nowMs - node.lastBeaconReceivedMs > this.graceMs) {
        node.alive = false;
        changes.push({ address: node.address, alive: false });
      }
    }
    return changes;
  }

  /**
   * After a restart the meta knows the nodes its configurations name but has heard no beacon: like
   * upstream's leader registering every known worker, they count as alive from `nowMs` and get a full
   * grace period to beacon before their primaries are taken away.
   */
  assumeAlive(address: RpcAddress, nowMs: number): void {
    if (this.nodes.has(address) || this.nodes.size >= this.nodesMax) return;
    this.nodes.set(address, { address, alive: true, lastBeaconReceivedMs: nowMs, startTimeMs: 0 });
  }

  isKnown(address: RpcAddress): boolean {
    return this.nodes.has(address);
  }

  isAlive(address: RpcAddress): boolean {
    return this.nodes.get(address)?.alive === true;
  }

  aliveNodes(): RpcAddress[] {
    return [...this.nodes.values()].filter((n) => n.alive).map((n) => n.address).sort();
  }

  all(): readonly NodeRecord[] {
    return [...this.nodes.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }
}
