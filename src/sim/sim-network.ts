/**
 * The simulated network (simulation.md "What to simulate"): every node gets an `RpcChannel` to call others
 * and an `RpcHandlerTable` to serve them, the same interfaces the TCP transport implements
 * (src/rpc/transport.ts), and requests are dispatched through the same `dispatchRpc`/`createReply`, so
 * unknown names, throwing handlers and double answers behave exactly as on the TCP server.
 *
 * A message is a copy of its bytes handed to the loop: it arrives as an event after a delay drawn from the
 * PRNG, so messages overtake each other whenever their delays say so. Faults, all settable at runtime:
 * - drop: a request or a response is lost with its own rate;
 * - duplicate: a request arrives twice, each copy with its own delay (the caller keeps the first answer);
 * - partitions: a set of cut directed links; a message on a cut link is lost when sent and when it would
 *   arrive, so cutting a link also loses what was in flight on it;
 * - a node down: its process crashed, so messages to it are lost; a message is bound to the process that
 *   was up when it was sent, so a restarted node does not receive its previous life's traffic (the TCP
 *   connection it came on died with that process).
 * Whatever is lost, the caller learns it only through its timeout (ERR_TIMEOUT), as with a dead host; an
 * address nobody ever attached behaves the same. The calls of a crashed process never settle: their
 * callers were code of that process, which must never run again.
 *
 * Differences from TCP worth knowing: `request.remote` is the caller's node address (TCP gives the peer's
 * ephemeral port), and nothing models a connection, so a refused connection never shows up as
 * ERR_NETWORK_FAILURE (only `close()` gives that).
 */
import { assert } from '../base/assert.ts';
import { PegasusError } from '../base/error-code.ts';
import type { ErrorCode } from '../base/error-code.ts';
import {
  RpcHandlerTable,
  createReply,
  dispatchRpc,
  isRpcAddress,
  type RpcAddress,
  type RpcCall,
  type RpcCallResult,
  type RpcChannel,
  type RpcLogger,
  type RpcRequest,
} from '../rpc/transport.ts';
import type { SimEventHandle, SimLoop } from './sim-loop.ts';
import type { SimProcess } from './sim-process.ts';
import type { SimRandom } from './sim-random.ts';

export interface SimNetworkFaults {
  /** Probability that a request (two-way or oneway) is lost. */
  readonly requestDropRate: number;
  /** Probability that a response is lost. */
  readonly responseDropRate: number;
  /** Probability that a request is delivered twice. */
  readonly duplicateRate: number;
  /**
   * Which requests may be duplicated (default: all). TCP never delivers a request twice; a duplicate
   * models a peer resending, which server-to-server protocols must tolerate — but a client write sent twice
   * is applied twice by design (upstream's non-idempotent retries), so the cluster harness excludes them.
   */
  readonly duplicatable?: (rpcName: string) => boolean;
  /** Every message takes a whole number of ms drawn uniformly from [delayMinMs, delayMaxMs]. */
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
}

/** A healthy LAN: nothing lost or duplicated, 1–5 ms per message. */
export const SIM_NETWORK_NO_FAULTS: SimNetworkFaults = {
  requestDropRate: 0,
  responseDropRate: 0,
  duplicateRate: 0,
  delayMinMs: 1,
  delayMaxMs: 5,
};

export interface SimNetworkLimits {
  /** Two-way calls awaiting a response per channel; more fail with ERR_BUSY (the TCP client's default). */
  readonly pendingCallsMax: number;
}

export const SIM_NETWORK_LIMITS_DEFAULT: SimNetworkLimits = { pendingCallsMax: 4096 };

/** Why a message was lost, for coverage reports. */
export type SimDropCause = 'random' | 'partition' | 'nodeDown' | 'unknownAddress';

export interface SimNetworkStats {
  /** Requests (two-way and oneway) and responses handed to the network, duplicates not counted. */
  messagesSent: number;
  /** Messages that reached a live handler or a waiting caller (a duplicate counts again). */
  messagesDelivered: number;
  /** Messages lost, by cause (sums to `messagesDropped`). */
  messagesDropped: number;
  droppedBy: Record<SimDropCause, number>;
  /** Requests that were sent twice. */
  messagesDuplicated: number;
  /** Calls that failed with ERR_TIMEOUT. */
  callsTimedOut: number;
  /** Responses that found no waiting call (it timed out, or a duplicate was answered already). */
  lateResponses: number;
}

/** What one node's process sees of the network. */
export interface SimEndpoint {
  readonly process: SimProcess;
  readonly channel: RpcChannel;
  readonly handlers: RpcHandlerTable;
}

interface PendingCall {
  readonly name: string;
  readonly resolve: (result: RpcCallResult) => void;
  readonly reject: (error: PegasusError) => void;
  readonly timer: SimEventHandle;
}

interface Attached {
  readonly process: SimProcess;
  readonly channel: SimChannel;
  readonly handlers: RpcHandlerTable;
  readonly logger: RpcLogger | undefined;
}

/** seqid is a thrift i32 on the wire; wrap before it turns negative, as the TCP client does. */
const SEQID_MAX = 0x7fffffff;
/** The TCP client's bound (Node's timers and the header's i32 client_timeout). */
const TIMEOUT_MS_MAX = 0x7fffffff;

function checkFaults(faults: SimNetworkFaults): void {
  for (const rate of [faults.requestDropRate, faults.responseDropRate, faults.duplicateRate]) {
    assert(rate >= 0 && rate <= 1, `network fault rate ${rate} is not a probability`);
  }
  assert(Number.isSafeInteger(faults.delayMinMs) && faults.delayMinMs >= 0, `delayMinMs ${faults.delayMinMs}`);
  assert(Number.isSafeInteger(faults.delayMaxMs) && faults.delayMaxMs >= faults.delayMinMs, `delayMaxMs ${faults.delayMaxMs}`);
}

function linkKey(from: RpcAddress, to: RpcAddress): string {
  return `${from}>${to}`;
}

/** The RpcChannel of one process. */
class SimChannel implements RpcChannel {
  private readonly pending = new Map<number, PendingCall>();
  private seqid = 0;
  private closed = false;

  constructor(
    private readonly network: SimNetwork,
    private readonly process: SimProcess,
    private readonly limits: SimNetworkLimits,
  ) {}

  call(address: RpcAddress, call: RpcCall): Promise<RpcCallResult> {
    // A dead process runs no code; if something still calls on its behalf, it must never hear back.
    if (!this.process.alive) return new Promise<RpcCallResult>(() => {});
    if (this.closed) return Promise.reject(new PegasusError('ERR_NETWORK_FAILURE', 'the rpc channel is closed'));
    if (!Number.isInteger(call.timeoutMs) || call.timeoutMs <= 0 || call.timeoutMs > TIMEOUT_MS_MAX) {
      return Promise.reject(new PegasusError('ERR_INVALID_PARAMETERS', `timeoutMs ${call.timeoutMs} must be a whole number in (0, ${TIMEOUT_MS_MAX}]`));
    }
    if (!isRpcAddress(address)) {
      return Promise.reject(new PegasusError('ERR_INVALID_PARAMETERS', `${JSON.stringify(address)} is not an IPv4 host:port`));
    }
    const oneway = call.oneway === true;
    if (!oneway && this.pending.size >= this.limits.pendingCallsMax) {
      return Promise.reject(new PegasusError('ERR_BUSY', `${this.pending.size} calls pending on ${this.process.name}`));
    }
    const seqid = this.nextSeqid();
    this.network.sendRequest(this.process, address, call, seqid);
    // Oneway: nothing comes back, so handing it to the network is all the caller can learn.
    if (oneway) return Promise.resolve({ errorName: 'ERR_OK' });
    return new Promise<RpcCallResult>((resolve, reject) => {
      const timer = this.network.loop.scheduleAfter(call.timeoutMs, `timeout ${call.name} ${this.process.name}->${address} s${seqid}`, () => {
        if (!this.pending.delete(seqid)) return;
        this.network.stats.callsTimedOut++;
        reject(new PegasusError('ERR_TIMEOUT', `${call.name} to ${address} got no response in ${call.timeoutMs} ms`));
      }, this.process);
      this.pending.set(seqid, { name: call.name, resolve, reject, timer });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) {
      call.timer.cancel();
      call.reject(new PegasusError('ERR_NETWORK_FAILURE', `${call.name}: the rpc channel is closing`));
    }
  }

  /** A response arrived; false when no call waits for it any more. */
  settle(seqid: number, result: RpcCallResult): boolean {
    const call = this.pending.get(seqid);
    if (call === undefined) return false;
    this.pending.delete(seqid);
    call.timer.cancel();
    call.resolve(result);
    return true;
  }

  /** The process crashed: forget its calls without settling them (their callers must never run again). */
  abandon(): void {
    this.pending.clear();
    this.closed = true;
  }

  private nextSeqid(): number {
    this.seqid = this.seqid >= SEQID_MAX ? 1 : this.seqid + 1;
    assert(!this.pending.has(this.seqid), `seqid ${this.seqid} of ${this.process.name} is still pending`);
    return this.seqid;
  }
}

export class SimNetwork {
  readonly stats: SimNetworkStats = {
    messagesSent: 0,
    messagesDelivered: 0,
    messagesDropped: 0,
    droppedBy: { random: 0, partition: 0, nodeDown: 0, unknownAddress: 0 },
    messagesDuplicated: 0,
    callsTimedOut: 0,
    lateResponses: 0,
  };
  private readonly endpoints = new Map<RpcAddress, Attached>();
  private readonly cut = new Set<string>();
  private readonly limits: SimNetworkLimits;
  private faultsNow: SimNetworkFaults;
  /** Numbers messages in send order, for labels that tell copies and calls apart in a trace. */
  private nextMessageId = 0;

  constructor(
    readonly loop: SimLoop,
    private readonly random: SimRandom,
    options: { faults?: Partial<SimNetworkFaults>; limits?: Partial<SimNetworkLimits> } = {},
  ) {
    this.faultsNow = { ...SIM_NETWORK_NO_FAULTS, ...options.faults };
    checkFaults(this.faultsNow);
    this.limits = { ...SIM_NETWORK_LIMITS_DEFAULT, ...options.limits };
  }

  // ---- processes ----------------------------------------------------------------------------------------

  /**
   * Connects a newly started process to the network under its node's address, with a fresh channel and an
   * empty handler table (a restarted server registers its handlers anew). The previous process at that
   * address must be dead.
   */
  attach(process: SimProcess, logger?: RpcLogger): SimEndpoint {
    assert(process.alive, `${process.name} attaches while dead`);
    const previous = this.endpoints.get(process.address);
    assert(previous === undefined || !previous.process.alive, `${process.address} already runs ${previous?.process.name}`);
    previous?.channel.abandon();
    const attached: Attached = { process, channel: new SimChannel(this, process, this.limits), handlers: new RpcHandlerTable(), logger };
    this.endpoints.set(process.address, attached);
    return { process, channel: attached.channel, handlers: attached.handlers };
  }

  /** The process crashed (the caller killed it): drop its pending calls without ever settling them. */
  detach(process: SimProcess): void {
    assert(!process.alive, `${process.name} detaches while alive`);
    const attached = this.endpoints.get(process.address);
    if (attached?.process === process) attached.channel.abandon();
  }

  // ---- faults -------------------------------------------------------------------------------------------

  get faults(): SimNetworkFaults {
    return this.faultsNow;
  }

  /** Changes some fault rates from now on (messages already in flight keep their fate). */
  setFaults(faults: Partial<SimNetworkFaults>): void {
    const next = { ...this.faultsNow, ...faults };
    checkFaults(next);
    this.faultsNow = next;
  }

  /** Cuts every link from `groupA` to `groupB`, and back unless `symmetric` is false. */
  partition(groupA: readonly RpcAddress[], groupB: readonly RpcAddress[], options: { symmetric?: boolean } = {}): void {
    const symmetric = options.symmetric ?? true;
    for (const a of groupA) {
      for (const b of groupB) {
        if (a === b) continue;
        this.cut.add(linkKey(a, b));
        if (symmetric) this.cut.add(linkKey(b, a));
      }
    }
  }

  /** Cuts the one directed link `from` → `to`. */
  cutLink(from: RpcAddress, to: RpcAddress): void {
    assert(from !== to, `a node's link to itself (${from}) cannot be cut`);
    this.cut.add(linkKey(from, to));
  }

  restoreLink(from: RpcAddress, to: RpcAddress): void {
    this.cut.delete(linkKey(from, to));
  }

  /** Restores every link. */
  heal(): void {
    this.cut.clear();
  }

  isCut(from: RpcAddress, to: RpcAddress): boolean {
    return this.cut.has(linkKey(from, to));
  }

  /** The cut links as `from>to`, sorted, for reports. */
  cutLinks(): string[] {
    return [...this.cut].sort();
  }

  // ---- messages (called by SimChannel) ------------------------------------------------------------------

  /** @internal Sends one request, with its own copy of the args, subject to every fault. */
  sendRequest(caller: SimProcess, to: RpcAddress, call: RpcCall, seqid: number): void {
    const id = this.nextMessageId++;
    const from = caller.address;
    const oneway = call.oneway === true;
    const args = Buffer.from(call.args);
    this.stats.messagesSent++;
    // Drawn for every message whatever the outcome, so a partition or a node down does not shift later draws.
    const lost = this.random.chance(this.faultsNow.requestDropRate);
    const duplicated = this.random.chance(this.faultsNow.duplicateRate);
    const delayMs = this.drawDelayMs();
    const target = this.endpoints.get(to);
    if (target === undefined) return this.drop('unknownAddress');
    if (!target.process.alive) return this.drop('nodeDown');
    if (this.isCut(from, to)) return this.drop('partition');
    if (lost) return this.drop('random');
    const label = `rpc ${call.name} ${caller.name}->${target.process.name} #${id}`;
    const deliver = (): void => {
      if (this.isCut(from, to)) return this.drop('partition');
      if (!target.process.alive || this.endpoints.get(to) !== target) return this.drop('nodeDown');
      this.stats.messagesDelivered++;
      const request: RpcRequest = {
        name: call.name,
        seqid,
        header: { gpid: { ...call.gpid }, partitionHash: call.partitionHash, clientTimeoutMs: call.timeoutMs, isBackupRequest: false },
        // Each delivery gets its own bytes: a handler that mutates them cannot touch a duplicate's.
        args: Buffer.from(args),
        oneway,
        remote: from,
      };
      const reply = createReply(request, (errorName, result) => this.sendResponse(target.process, caller, call.name, seqid, id, errorName, result));
      dispatchRpc(target.handlers, request, reply, target.logger);
    };
    this.loop.scheduleAfter(delayMs, label, deliver);
    if (duplicated && (this.faultsNow.duplicatable?.(call.name) ?? true)) {
      this.stats.messagesDuplicated++;
      this.loop.scheduleAfter(this.drawDelayMs(), `${label} dup`, deliver);
    }
  }

  private sendResponse(
    responder: SimProcess,
    caller: SimProcess,
    name: string,
    seqid: number,
    id: number,
    errorName: ErrorCode,
    result: Buffer | undefined,
  ): void {
    // Only live code answers; a reply object outliving its process's crash has nobody to send it.
    if (!responder.alive) return;
    this.stats.messagesSent++;
    const lost = this.random.chance(this.faultsNow.responseDropRate);
    const delayMs = this.drawDelayMs();
    const to = caller.address;
    if (this.isCut(responder.address, to)) return this.drop('partition');
    if (lost) return this.drop('random');
    const bytes = result === undefined ? undefined : Buffer.from(result);
    // Owned by the caller: once it crashed the response is never looked at, and its call never settles.
    this.loop.scheduleAfter(delayMs, `reply ${name} ${errorName} ${responder.name}->${caller.name} #${id}`, () => {
      if (this.isCut(responder.address, to)) return this.drop('partition');
      const attached = this.endpoints.get(to);
      if (attached?.process !== caller) return this.drop('nodeDown');
      const settled = attached.channel.settle(seqid, bytes === undefined ? { errorName } : { errorName, result: bytes });
      if (settled) this.stats.messagesDelivered++;
      else this.stats.lateResponses++;
    }, caller);
  }

  private drawDelayMs(): number {
    return this.random.int(this.faultsNow.delayMinMs, this.faultsNow.delayMaxMs);
  }

  private drop(cause: SimDropCause): void {
    this.stats.messagesDropped++;
    this.stats.droppedBy[cause]++;
  }
}
