/**
 * When a onebox counts as up, through the HTTP routes on each server's RPC port (pegasus-internals.md §6.3):
 * "answers" = the meta serves `GET /meta/apps` and every replica server `GET /version`; "healthy" = every partition of the table has a primary on
 * some replica server (`GET /replica/replicas`). Every wait is bounded.
 */
import { PegasusError } from '../base/error-code.ts';
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

interface AppEntry {
  readonly appId: number;
  readonly partitionCount: number;
}

function findApp(body: unknown, appName: string): AppEntry | undefined {
  if (!Array.isArray(body)) return undefined;
  for (const entry of body as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { app_name, app_id, partition_count, status } = entry as Record<string, unknown>;
    if (app_name === appName && status === 'AS_AVAILABLE' && typeof app_id === 'number' && typeof partition_count === 'number') {
      return { appId: app_id, partitionCount: partition_count };
    }
  }
  return undefined;
}

function primariesOf(body: unknown, appId: number): number[] {
  if (typeof body !== 'object' || body === null || !('replicas' in body) || !Array.isArray(body.replicas)) return [];
  const out: number[] = [];
  for (const replica of body.replicas as unknown[]) {
    if (typeof replica !== 'object' || replica === null) continue;
    const { gpid, status } = replica as Record<string, unknown>;
    if (status !== 'PS_PRIMARY' || typeof gpid !== 'string') continue;
    const [app, partition] = gpid.split('.').map(Number);
    if (app === appId && partition !== undefined && Number.isInteger(partition)) out.push(partition);
  }
  return out;
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

/** Resolves once every partition of `appName` has a primary; throws ERR_TIMEOUT naming what is missing. */
export async function waitHealthy(
  metaPort: number,
  replicaPorts: readonly number[],
  appName: string,
  timeoutMs: number,
  stillWorth: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = `table ${appName} not created yet`;
  while (Date.now() < deadline) {
    if (!stillWorth()) throw new PegasusError('ERR_SERVICE_NOT_ACTIVE', `stopped waiting for ${appName} to be healthy: a role exited`);
    const app = findApp(await getJson(`http://127.0.0.1:${metaPort}/meta/apps`), appName);
    if (app !== undefined) {
      const served = new Set<number>();
      for (const port of replicaPorts) {
        for (const partition of primariesOf(await getJson(`http://127.0.0.1:${port}/replica/replicas`), app.appId)) served.add(partition);
      }
      const without = [...Array(app.partitionCount).keys()].filter((p) => !served.has(p));
      if (without.length === 0) return;
      missing = `partitions ${without.map((p) => `${app.appId}.${p}`).join(', ')} have no primary`;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw new PegasusError('ERR_TIMEOUT', `the onebox was not healthy within ${timeoutMs} ms: ${missing}`);
}
