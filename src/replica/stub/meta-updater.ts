/**
 * Sends a replica's RPC_CM_UPDATE_PARTITION_CONFIGURATION to the meta (pegasus-internals.md §2.7; upstream
 * replica_config.cpp `update_configuration_on_meta_server`): resent every second while unanswered — the
 * meta deliberately does not answer while an update of that partition is pending — and while the meta says
 * ERR_BUSY; any other answer (ERR_OK or a refusal with the meta's current configuration) goes back to the
 * replica. One request per partition at a time; a newer one for the same partition supersedes the older,
 * and the attempt bound ends a request nobody answers.
 */
import type { TimerHandle } from '../../base/clock.ts';
import { PegasusError, isPegasusError } from '../../base/error-code.ts';
import { formatGpid } from '../../base/gpid.ts';
import { REPLICATION_RPCS } from '../../idl/codec/replication-rpcs.ts';
import type { ConfigurationUpdateRequest, ConfigurationUpdateResponse } from '../../idl/replication.ts';
import type { RpcAddress } from '../../rpc/transport.ts';
import type { ReplicaStubEnv, ReplicaStubLimits } from './stub-env.ts';

interface PendingUpdate {
  attempts: number;
  timer: TimerHandle | undefined;
  done: boolean;
  reject: (e: Error) => void;
}

export class MetaUpdater {
  private readonly pending = new Map<string, PendingUpdate>();
  private stopped = false;

  constructor(
    private readonly env: ReplicaStubEnv,
    private readonly limits: ReplicaStubLimits,
    private readonly metaAddress: () => RpcAddress,
  ) {}

  get inFlight(): number {
    return this.pending.size;
  }

  update(request: ConfigurationUpdateRequest): Promise<ConfigurationUpdateResponse> {
    const name = formatGpid(request.config.pid);
    if (this.stopped) return Promise.reject(new PegasusError('ERR_SERVICE_NOT_ACTIVE', 'the replica stub is closed'));
    this.pending.get(name)?.reject(new PegasusError('ERR_OBJECT_NOT_FOUND', `update of ${name} superseded`));
    return new Promise((resolve, reject) => {
      const update: PendingUpdate = { attempts: 0, timer: undefined, done: false, reject: () => undefined };
      const finish = (): void => {
        update.done = true;
        update.timer?.cancel();
        if (this.pending.get(name) === update) this.pending.delete(name);
      };
      update.reject = (e) => {
        if (update.done) return;
        finish();
        reject(e);
      };
      this.pending.set(name, update);
      const rpc = REPLICATION_RPCS.RPC_CM_UPDATE_PARTITION_CONFIGURATION;
      const args = rpc.encodeArgs(request);
      const send = (): void => {
        if (update.done) return;
        if (update.attempts >= this.limits.updateAttemptsMax) {
          update.reject(new PegasusError('ERR_TIMEOUT', `update-configuration of ${name} unanswered after ${update.attempts} attempts`));
          return;
        }
        update.attempts++;
        const retryLater = (): void => {
          if (update.done) return;
          update.timer = this.env.clock.setTimer(this.limits.updateRetryIntervalMs, send);
        };
        this.env.network.channel
          .call(this.metaAddress(), { name: rpc.code, gpid: request.config.pid, partitionHash: 0n, args, timeoutMs: this.limits.updateRetryIntervalMs })
          .then(
            (result) => {
              if (update.done) return;
              if (result.errorName !== 'ERR_OK' || result.result === undefined) return retryLater();
              const response = rpc.decodeResponse(result.result, 0);
              if (response.err === 'ERR_BUSY' || response.err === 'ERR_TIMEOUT') return retryLater();
              finish();
              resolve(response);
            },
            (e: unknown) => {
              // No answer in time: resend at once (the timeout already waited the retry interval).
              if (isPegasusError(e) && e.code === 'ERR_TIMEOUT') send();
              else retryLater();
            },
          );
      };
      send();
    });
  }

  stop(): void {
    this.stopped = true;
    for (const update of [...this.pending.values()]) update.reject(new PegasusError('ERR_SERVICE_NOT_ACTIVE', 'the replica stub is closed'));
  }
}
