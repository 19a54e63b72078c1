/**
 * Waiting until a created or recalled table serves, as upstream's create/recall do: every partition has a
 * primary and `max_replica_count` members. Bounded: an operator gets a clear timeout, never a hang.
 */
import { AdminError, type AdminClient } from './admin-client.ts';
import { isValidRpcAddress } from '../idl/thrift/dsn.ts';

export const APP_READY_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

export async function waitAppReady(admin: AdminClient, appName: string, timeoutMs = APP_READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const config = await admin.queryConfig(appName);
      const ready =
        config.partitions.length === config.partitionCount &&
        config.partitions.every((p) => isValidRpcAddress(p.primary) && p.secondaries.length + 1 >= p.maxReplicaCount);
      if (ready) return;
    } catch (e) {
      // A table still being created or recalled answers ERR_BUSY_CREATING (or not found for a moment).
      if (!(e instanceof AdminError)) throw e;
    }
    if (Date.now() >= deadline) throw new AdminError('ERR_TIMEOUT', `app "${appName}" was not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
