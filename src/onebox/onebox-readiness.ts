/**
 * When a onebox counts as up, through each server's port (pegasus-internals.md §6.3): "answers" = the meta
 * serves `GET /meta/apps` and every replica server `GET /version`; "healthy" = the table is whole, as the
 * shell's create waits for it: in the meta's partition configuration (query config RPC) every partition has
 * a primary and max_replica_count members, and each primary's server reports it PS_PRIMARY
 * (`GET /replica/replicas`), i.e. it has taken up the role. Every wait is bounded.
 */
import { PegasusError } from '../base/error-code.ts';
import { formatRpcAddress, isValidRpcAddress } from '../idl/thrift/dsn.ts';
import { TcpRpcChannel } from '../rpc/tcp/index.ts';
import { AdminClient, type AppPartitions } from '../shell/admin-client.ts';
import { sleep } from './onebox-processes.ts';

const POLL_INTERVAL_MS = 200;
/** One HTTP probe; a server that accepted the socket but hangs must not stall the whole wait. */
const PROBE_TIMEOUT_MS = 2_000;

async function getJson(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return response.ok ? ((await response.json()) as unknown) : undefined;
  } catch {
    return undefined; // not listening yet, or still starting
  }
}

/** Whether `GET /meta/apps` lists `appName` as available (not being created, not dropped). */
function isAvailable(body: unknown, appName: string): boolean {
  if (!Array.isArray(body)) return false;
  return (body as unknown[]).some((entry) => {
    if (typeof entry !== 'object' || entry === null) return false;
    const { app_name, status } = entry as Record<string, unknown>;
    return app_name === appName && status === 'AS_AVAILABLE';
  });
}

/** The partitions (`appId.pidx`) a replica server reports serving as primary. */
function primariesOf(body: unknown): Set<string> {
  const out = new Set<string>();
  if (typeof body !== 'object' || body === null || !('replicas' in body) || !Array.isArray(body.replicas)) return out;
  for (const replica of body.replicas as unknown[]) {
    if (typeof replica !== 'object' || replica === null) continue;
    const { gpid, status } = replica as Record<string, unknown>;
    if (status === 'PS_PRIMARY' && typeof gpid === 'string') out.add(gpid);
  }
  return out;
}

/** What keeps the table from being whole, or undefined when nothing does. */
async function missingOf(config: AppPartitions): Promise<string | undefined> {
  const gpidOf = (pidx: number) => `${config.appId}.${pidx}`;
  const listed = new Set(config.partitions.map((p) => p.pid.partitionIndex));
  const unlisted = [...Array(config.partitionCount).keys()].filter((p) => !listed.has(p));
  if (unlisted.length > 0) return `partitions ${unlisted.map(gpidOf).join(', ')} are not configured yet`;
  const noPrimary = config.partitions.filter((p) => !isValidRpcAddress(p.primary));
  if (noPrimary.length > 0) return `partitions ${noPrimary.map((p) => gpidOf(p.pid.partitionIndex)).join(', ')} have no primary`;
  const short = config.partitions.filter((p) => p.secondaries.length + 1 < p.maxReplicaCount);
  if (short.length > 0) {
    return `partitions ${short.map((p) => `${gpidOf(p.pid.partitionIndex)} (${p.secondaries.length + 1} of ${p.maxReplicaCount})`).join(', ')} do not have all their replicas yet`;
  }
  // The meta's view is the authority; the servers' view shows each primary has taken up its role.
  const byServer = new Map<string, Set<string>>();
  const notServing: string[] = [];
  for (const p of config.partitions) {
    const server = formatRpcAddress(p.primary);
    let served = byServer.get(server);
    if (served === undefined) byServer.set(server, (served = primariesOf(await getJson(`http://${server}/replica/replicas`))));
    if (!served.has(gpidOf(p.pid.partitionIndex))) notServing.push(`${gpidOf(p.pid.partitionIndex)} on ${server}`);
  }
  return notServing.length > 0 ? `primaries ${notServing.join(', ')} are not serving yet` : undefined;
}

/** Resolves once the meta answers; throws ERR_TIMEOUT after `timeoutMs`. `stillWorth` stops early (a child died). */
export async function waitMetaAnswers(metaPort: number, timeoutMs: number, stillWorth: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && stillWorth()) {
    if ((await getJson(`http://127.0.0.1:${metaPort}/meta/apps`)) !== undefined) return;
    await sleep(POLL_INTERVAL_MS);
  }
  if (!stillWorth()) throw new PegasusError('ERR_SERVICE_NOT_ACTIVE', `stopped waiting for the meta server on port ${metaPort}: a role exited`);
  throw new PegasusError('ERR_TIMEOUT', `the meta server on port ${metaPort} did not answer within ${timeoutMs} ms`);
}

/** Resolves once every replica server answers `GET /version` (it has bound its port); bounded like the meta's wait. */
export async function waitReplicasAnswer(replicaPorts: readonly number[], timeoutMs: number, stillWorth: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const waiting = new Set(replicaPorts);
  while (Date.now() < deadline && stillWorth()) {
    for (const port of [...waiting]) if ((await getJson(`http://127.0.0.1:${port}/version`)) !== undefined) waiting.delete(port);
    if (waiting.size === 0) return;
    await sleep(POLL_INTERVAL_MS);
  }
  if (!stillWorth()) throw new PegasusError('ERR_SERVICE_NOT_ACTIVE', 'stopped waiting for the replica servers: a role exited');
  throw new PegasusError('ERR_TIMEOUT', `replica servers on ports ${[...waiting].join(', ')} did not answer within ${timeoutMs} ms`);
}

/**
 * Resolves once `appName` is whole (every partition has a primary that serves and max_replica_count members)
 * with the table's max_replica_count; throws ERR_TIMEOUT naming what is missing.
 */
export async function waitHealthy(metaPort: number, appName: string, timeoutMs: number, stillWorth: () => boolean = () => true): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const channel = new TcpRpcChannel();
  const admin = new AdminClient(channel, [`127.0.0.1:${metaPort}`], PROBE_TIMEOUT_MS);
  let missing = `table ${appName} not created yet`;
  try {
    while (Date.now() < deadline) {
      if (!stillWorth()) throw new PegasusError('ERR_SERVICE_NOT_ACTIVE', `stopped waiting for ${appName} to be healthy: a role exited`);
      if (isAvailable(await getJson(`http://127.0.0.1:${metaPort}/meta/apps`), appName)) {
        try {
          const config = await admin.queryConfig(appName);
          const why = await missingOf(config);
          if (why === undefined) return Math.max(...config.partitions.map((p) => p.maxReplicaCount));
          missing = why;
        } catch (e) {
          missing = `the meta server did not answer the query: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      await sleep(POLL_INTERVAL_MS);
    }
  } finally {
    await channel.close();
  }
  throw new PegasusError('ERR_TIMEOUT', `the onebox was not healthy within ${timeoutMs} ms: ${missing}`);
}
