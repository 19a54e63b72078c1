/**
 * The worker side of failure detection (pegasus-internals.md §2.6, contract F1; upstream
 * src/failure_detector/failure_detector.cpp): a beacon to the meta every `fd_beacon_interval_seconds`, and
 * every `fd_check_interval_seconds` the lease test `now + check_interval − send time of the last acked
 * beacon > fd_lease_seconds`. The lease counts from the *send* time of the acked beacon, never from the ack's
 * arrival, so this node stops serving strictly before the meta (which waits `fd_grace_seconds` > lease from
 * the beacon it *received*) can give its primaries away.
 *
 * Redirects as upstream: an error rotates to the next meta of `server_list`; `isMaster = false` switches
 * to the leader the ack names. At most one beacon is in flight (a slow meta cannot pile them up), and it
 * times out within one beacon interval so an unanswered beacon never delays the next one.
 */
import type { EnvClock, TimerHandle } from '../../base/clock.ts';
import { REPLICATION_RPCS } from '../../idl/codec/replication-rpcs.ts';
import { formatRpcAddress as formatWireAddress, isValidRpcAddress, toWireAddress } from '../../idl/thrift/dsn.ts';
import type { RpcAddress, RpcChannel } from '../../rpc/transport.ts';
import { assert } from '../../base/assert.ts';
import type { StubLogger } from './stub-env.ts';

export interface FailureDetectorWorkerOptions {
  clock: EnvClock;
  channel: RpcChannel;
  logger: StubLogger;
  selfAddress: RpcAddress;
  metaServers: readonly RpcAddress[];
  beaconIntervalMs: number;
  checkIntervalMs: number;
  leaseMs: number;
  beaconTimeoutMs: number;
  /** The process's start (ms), sent in every beacon so the meta can count restarts. */
  startTimeMs: number;
  /** The first acked beacon, and the first after a lost lease. */
  onConnected(): void;
  /** The lease expired: every replica must stop serving. */
  onDisconnected(): void;
}

const NEVER = Number.NEGATIVE_INFINITY;

export class FailureDetectorWorker {
  private metaIndex = 0;
  /** A leader named by a non-master meta's ack; used until it fails. */
  private redirectedTo: RpcAddress | undefined;
  private lastAckedSendMs = NEVER;
  private connectedNow = false;
  private beaconInFlight = false;
  private beaconTimer: TimerHandle | undefined;
  private checkTimer: TimerHandle | undefined;
  private stopped = true;
  /** Beacons sent and acked, for tests and the HTTP status page. */
  beaconsSent = 0;
  beaconsAcked = 0;

  constructor(private readonly options: FailureDetectorWorkerOptions) {
    assert(options.metaServers.length > 0, 'the failure detector needs at least one meta server');
  }

  get connected(): boolean {
    return this.connectedNow;
  }

  /** The meta the next beacon goes to. */
  get metaAddress(): RpcAddress {
    return this.redirectedTo ?? this.options.metaServers[this.metaIndex % this.options.metaServers.length]!;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.sendBeacon();
    this.scheduleBeacon();
    this.scheduleCheck();
  }

  stop(): void {
    this.stopped = true;
    this.beaconTimer?.cancel();
    this.checkTimer?.cancel();
    this.beaconTimer = undefined;
    this.checkTimer = undefined;
  }

  private scheduleBeacon(): void {
    this.beaconTimer = this.options.clock.setTimer(this.options.beaconIntervalMs, () => {
      if (this.stopped) return;
      this.sendBeacon();
      this.scheduleBeacon();
    });
  }

  private scheduleCheck(): void {
    this.checkTimer = this.options.clock.setTimer(this.options.checkIntervalMs, () => {
      if (this.stopped) return;
      this.checkLease();
      this.scheduleCheck();
    });
  }

  /** Upstream's `check_all_records` on the worker. */
  private checkLease(): void {
    if (!this.connectedNow) return;
    const nowMs = this.options.clock.nowMs();
    if (nowMs + this.options.checkIntervalMs - this.lastAckedSendMs > this.options.leaseMs) {
      this.connectedNow = false;
      this.options.logger.warn({ meta: this.metaAddress, lastAckedSendMs: this.lastAckedSendMs, nowMs }, 'lease to the meta expired: replicas stop serving');
      this.options.onDisconnected();
    }
  }

  private sendBeacon(): void {
    if (this.beaconInFlight) return;
    const target = this.metaAddress;
    const sendMs = this.options.clock.nowMs();
    const beacon = {
      time: sendMs,
      fromNode: toWireAddress(this.options.selfAddress),
      toNode: toWireAddress(target),
      startTime: this.options.startTimeMs,
    };
    const rpc = REPLICATION_RPCS.RPC_FD_FAILURE_DETECTOR_PING;
    this.beaconInFlight = true;
    this.beaconsSent++;
    this.options.channel
      .call(target, { name: rpc.code, gpid: { appId: 0, partitionIndex: 0 }, partitionHash: 0n, args: rpc.encodeArgs(beacon), timeoutMs: Math.min(this.options.beaconTimeoutMs, this.options.beaconIntervalMs) })
      .then(
        (result) => {
          this.beaconInFlight = false;
          if (this.stopped) return;
          if (result.errorName !== 'ERR_OK' || result.result === undefined) {
            this.rotate(target, result.errorName);
            return;
          }
          const ack = rpc.decodeResponse(result.result, 0);
          this.onAck(target, sendMs, ack.isMaster, ack.allowed, ack.primaryNode);
        },
        (e: unknown) => {
          this.beaconInFlight = false;
          if (!this.stopped) this.rotate(target, e instanceof Error ? e.message : String(e));
        },
      );
  }

  private onAck(target: RpcAddress, sendMs: number, isMaster: boolean, allowed: boolean, primaryNode: { ipv4: number; port: number }): void {
    if (!isMaster) {
      // A follower meta names the leader; beacon it from now on (upstream `switch_master`).
      this.redirectedTo = isValidRpcAddress(primaryNode) ? formatWireAddress(primaryNode) : undefined;
      if (this.redirectedTo === undefined) this.metaIndex++;
      this.options.logger.info({ from: target, to: this.metaAddress }, 'beacon redirected to the meta leader');
      return;
    }
    if (!allowed) {
      this.options.logger.warn({ meta: target }, 'the meta refuses this replica server (beacon not allowed)');
      return;
    }
    this.beaconsAcked++;
    // Acks may arrive out of order: the lease only moves forward.
    this.lastAckedSendMs = Math.max(this.lastAckedSendMs, sendMs);
    if (!this.connectedNow) {
      this.connectedNow = true;
      this.options.logger.info({ meta: target }, 'connected to the meta');
      this.options.onConnected();
    }
  }

  private rotate(target: RpcAddress, why: string): void {
    if (this.redirectedTo === target) this.redirectedTo = undefined;
    else if (this.metaAddress === target) this.metaIndex++;
    this.options.logger.warn({ meta: target, next: this.metaAddress, why }, 'beacon failed');
  }
}
