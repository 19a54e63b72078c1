/**
 * The onebox's processes by pid file: which are alive, and stopping them (SIGTERM, a bounded wait, then
 * SIGKILL). A pid file can outlive its process (a reboot, a SIGKILL), and the pid may since belong to
 * something else, so on Linux a pid only counts as ours when its command line names the role's config.
 */
import { readFileSync } from 'node:fs';
import { configPathOf, readPid, removePid } from './onebox-layout.ts';
import type { OneboxRole } from './onebox-plan.ts';

/** How long `stop` waits for a graceful exit before SIGKILL. */
export const STOP_GRACE_MS = 10_000;
const POLL_INTERVAL_MS = 50;
/** After SIGKILL the kernel only has to reap it. */
const KILL_WAIT_MS = 2_000;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // EPERM: it exists but belongs to someone else, so it is not ours either way.
    return false;
  }
}

/** True when `pid` runs and (where /proc tells) runs this role's config. */
export function isRoleProcess(dir: string, role: OneboxRole, pid: number): boolean {
  if (!pidExists(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc (macOS): trust the pid
  }
  // A zombie has an empty command line: it has exited, only its parent has not reaped it yet.
  return cmdline.split('\0').includes(configPathOf(dir, role));
}

export interface RoleState {
  readonly role: OneboxRole;
  readonly pid: number | undefined;
  readonly alive: boolean;
}

export function roleStates(dir: string, roles: readonly OneboxRole[]): RoleState[] {
  return roles.map((role) => {
    const pid = readPid(dir, role);
    return { role, pid, alive: pid !== undefined && isRoleProcess(dir, role, pid) };
  });
}

async function waitGone(dir: string, role: OneboxRole, pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRoleProcess(dir, role, pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(POLL_INTERVAL_MS);
  }
  return true;
}

export interface StopReport {
  readonly role: OneboxRole;
  readonly pid: number;
  /** `SIGTERM` when it exited in time, `SIGKILL` when it had to be killed. */
  readonly by: 'SIGTERM' | 'SIGKILL';
}

/** Stops every live role (replica servers first, so they do not watch their meta vanish) and removes the pid files. */
export async function stopRoles(dir: string, roles: readonly OneboxRole[], graceMs = STOP_GRACE_MS): Promise<StopReport[]> {
  const live = roleStates(dir, roles).filter((s) => s.alive && s.pid !== undefined);
  const reports: StopReport[] = [];
  const stopOne = async ({ role, pid }: RoleState): Promise<void> => {
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone between the check and the signal
    }
    if (await waitGone(dir, role, pid, graceMs)) {
      reports.push({ role, pid, by: 'SIGTERM' });
      return;
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone just now
    }
    await waitGone(dir, role, pid, KILL_WAIT_MS);
    reports.push({ role, pid, by: 'SIGKILL' });
  };
  await Promise.all(live.filter((s) => s.role.kind === 'replica').map(stopOne));
  await Promise.all(live.filter((s) => s.role.kind === 'meta').map(stopOne));
  for (const role of roles) removePid(dir, role);
  return reports;
}
