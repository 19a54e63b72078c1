/**
 * One run of a simulated node's process, from start to crash. Everything that runs code on behalf of a
 * process — its timers, the deliveries of its responses, its call timeouts — is a loop event owned by the
 * SimProcess, so once the process crashes none of it runs again (a crashed process runs no code). A restart
 * is a new SimProcess with the next epoch; the old one stays dead for good, so a stale reference held by
 * the old process's objects can never come back to life.
 */
import type { RpcAddress } from '../rpc/transport.ts';
import type { SimEventOwner } from './sim-loop.ts';

export class SimProcess implements SimEventOwner {
  private running = true;

  constructor(
    readonly address: RpcAddress,
    /** 1 for the first start of the node, +1 per restart. */
    readonly epoch: number,
  ) {}

  get alive(): boolean {
    return this.running;
  }

  /** The process is gone; idempotent. Only the world calls this, as part of a crash. */
  kill(): void {
    this.running = false;
  }

  /** `10.0.0.1:34801/3`: the node and epoch, as event labels and logs name a process. */
  get name(): string {
    return `${this.address}/${this.epoch}`;
  }
}
