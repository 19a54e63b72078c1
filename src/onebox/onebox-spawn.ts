/**
 * Starting one role of a onebox as its own `pegasus meta|replica -c <dir>/<role>/config.ini` process, and
 * the guard both `start` and `run` share: one onebox per directory at a time, since two would fight over
 * the same data, ports and pid files.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PegasusError } from '../base/error-code.ts';
import { configPathOf, readManifest, roleDirOf, writePid } from './onebox-layout.ts';
import type { OneboxPlan, OneboxRole } from './onebox-plan.ts';
import { roleStates } from './onebox-processes.ts';

const PEGASUS_BIN = fileURLToPath(new URL('../../bin/pegasus.js', import.meta.url));

/**
 * The `test` profile: failure detection in seconds rather than upstream's production minutes, which is what
 * upstream's onebox (config.min.ini) is tuned for too.
 */
const ONEBOX_PROFILE = 'test';

/** Throws ERR_SERVICE_ALREADY_RUNNING when any role of a onebox in `plan.dir` still runs. */
export function refuseIfRunning(plan: OneboxPlan): void {
  const known = [...(readManifest(plan.dir)?.roles ?? []), ...plan.roles];
  const unique = known.filter((role, i) => known.findIndex((r) => r.name === role.name) === i);
  const alive = roleStates(plan.dir, unique).filter((s) => s.alive);
  if (alive.length === 0) return;
  const which = alive.map((s) => `${s.role.name} pid ${s.pid}`).join(', ');
  throw new PegasusError('ERR_SERVICE_ALREADY_RUNNING', `a onebox is already running in ${plan.dir} (${which}); stop it first with \`pegasus onebox stop\``);
}

/** Spawns the role in its own folder and records its pid. `detached` puts it in its own process group. */
export function spawnRole(plan: OneboxPlan, role: OneboxRole, stdio: StdioOptions, detached: boolean): ChildProcess {
  const child = spawn(process.execPath, [...(plan.nodeArgs ?? []), PEGASUS_BIN, role.kind, '-c', configPathOf(plan.dir, role), '--profile', ONEBOX_PROFILE], {
    cwd: roleDirOf(plan.dir, role),
    stdio,
    detached,
  });
  if (child.pid === undefined) throw new PegasusError('ERR_UNKNOWN', `could not start ${role.name}: ${process.execPath} did not spawn`);
  writePid(plan.dir, role, child.pid);
  return child;
}

export const metaPortOf = (plan: OneboxPlan): number => plan.roles.find((r) => r.kind === 'meta')?.port ?? 0;
export const replicaPortsOf = (plan: OneboxPlan): number[] => plan.roles.filter((r) => r.kind === 'replica').map((r) => r.port);

export function describePlan(plan: OneboxPlan): string {
  const replicaPorts = replicaPortsOf(plan);
  return `meta 127.0.0.1:${metaPortOf(plan)}, ${replicaPorts.length} replica server${replicaPorts.length === 1 ? '' : 's'} on ${replicaPorts[0]}..${replicaPorts.at(-1)}, table ${plan.appName} (${plan.partitionCount} partitions), data in ${plan.dir}`;
}
