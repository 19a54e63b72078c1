/**
 * `pegasus onebox start`: the cluster in the background, like upstream's `run.sh start_onebox`. Each role is
 * a detached process logging to `<dir>/<role>/pegasus.log`; the command returns once every server answers (and,
 * with --wait-healthy, once every partition has a primary and all its replicas). A start that fails stops what
 * it started.
 */
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { isPegasusError } from '../base/error-code.ts';
import { logPathOf, writeLayout } from './onebox-layout.ts';
import type { OneboxPlan, OneboxRole } from './onebox-plan.ts';
import { stopRoles } from './onebox-processes.ts';
import { waitHealthy, waitMetaAnswers, waitReplicasAnswer } from './onebox-readiness.ts';
import { describePlan, metaPortOf, refuseIfRunning, replicaPortsOf, spawnRole } from './onebox-spawn.ts';

/** What `start --wait-healthy` and `run` print once the table is whole. */
export function healthyText(appName: string, replicaCount: number): string {
  return `every partition of ${appName} has a primary and ${replicaCount === 1 ? 'its replica' : `all ${replicaCount} replicas`}`;
}

/** A server opens its store and binds in about a second; this leaves room for a slow machine. */
export const META_ANSWER_TIMEOUT_MS = 30_000;
/** Replica servers must beacon, be assigned, open RocksDB for every partition, and secondaries must learn. */
export const HEALTHY_TIMEOUT_MS = 60_000;
const LOG_TAIL_BYTES = 2_000;

function logTail(plan: OneboxPlan, role: OneboxRole): string {
  const path = logPathOf(plan.dir, role);
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  return text.slice(-LOG_TAIL_BYTES).trimEnd();
}

/** Returns the exit code. */
export async function startOnebox(plan: OneboxPlan): Promise<number> {
  refuseIfRunning(plan);
  writeLayout(plan);
  const exited = new Map<string, number | null>();
  for (const role of plan.roles) {
    const logFd = openSync(logPathOf(plan.dir, role), 'a');
    try {
      const child = spawnRole(plan, role, ['ignore', logFd, logFd], true);
      child.once('exit', (code) => exited.set(role.name, code));
      // The onebox outlives this command: nothing here may keep the event loop (or the process group) tied to it.
      child.unref();
    } finally {
      closeSync(logFd);
    }
  }
  try {
    await waitMetaAnswers(metaPortOf(plan), META_ANSWER_TIMEOUT_MS, () => exited.size === 0);
    // A replica server that cannot bind its port dies a moment after the meta is up; catch it here, not later.
    await waitReplicasAnswer(replicaPortsOf(plan), META_ANSWER_TIMEOUT_MS, () => exited.size === 0);
    if (exited.size > 0) throw new Error('a role exited during start');
  } catch (e) {
    // Taken before stopping the rest, whose exits are ours and not the cause.
    const failed = plan.roles.filter((r) => exited.has(r.name));
    const codes = new Map(exited);
    await stopRoles(plan.dir, plan.roles);
    console.error(isPegasusError(e) && failed.length === 0 ? e.message : `ERR_SERVICE_NOT_ACTIVE: the onebox did not start: ${failed.map((r) => `${r.name} exited with code ${codes.get(r.name)}`).join(', ')}`);
    for (const role of failed.length > 0 ? failed : plan.roles.filter((r) => r.kind === 'meta')) {
      console.error(`--- last lines of ${logPathOf(plan.dir, role)} ---\n${logTail(plan, role)}`);
    }
    return 1;
  }
  console.log(`onebox started: ${describePlan(plan)}`);
  if (plan.waitHealthy) {
    let replicaCount: number;
    try {
      replicaCount = await waitHealthy(metaPortOf(plan), plan.appName, HEALTHY_TIMEOUT_MS, () => exited.size === 0);
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      // Left running on purpose: the logs and `pegasus onebox list` are how one finds out why.
      const dead = [...exited].map(([name, code]) => `${name} exited with code ${code}`).join(', ');
      console.error(`${e.message}${dead === '' ? '' : ` (${dead})`}; the rest is still running (see ${plan.dir}/*/pegasus.log, stop it with \`pegasus onebox stop\`)`);
      return 1;
    }
    console.log(`onebox healthy: ${healthyText(plan.appName, replicaCount)}`);
  }
  return 0;
}
