/**
 * The onebox directory on disk (pegasus-internals.md §1.3): `<dir>/<role>/config.ini`, `pegasus.log` and
 * `pid` per role, plus `onebox.json`, the manifest that lets `stop` and `list` find every role without the
 * options `start` was given.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PegasusError } from '../base/error-code.ts';
import type { OneboxPlan, OneboxRole, RoleKind } from './onebox-plan.ts';

const MANIFEST_FILE = 'onebox.json';

export interface OneboxManifest {
  readonly roles: readonly OneboxRole[];
  readonly appName: string;
}

export const roleDirOf = (dir: string, role: OneboxRole): string => join(dir, role.name);
export const configPathOf = (dir: string, role: OneboxRole): string => join(dir, role.name, 'config.ini');
export const logPathOf = (dir: string, role: OneboxRole): string => join(dir, role.name, 'pegasus.log');
export const pidPathOf = (dir: string, role: OneboxRole): string => join(dir, role.name, 'pid');

/** The INI a role needs: the embedded store, the onebox knobs of upstream's config.min.ini, its own port and data. */
export function configTextOf(plan: OneboxPlan, role: OneboxRole): string {
  const meta = plan.roles.find((r) => r.kind === 'meta');
  if (meta === undefined) throw new PegasusError('ERR_INVALID_PARAMETERS', 'a onebox needs a meta server');
  const dataDir = role.kind === 'meta' ? roleDirOf(plan.dir, role) : join(roleDirOf(plan.dir, role), 'data');
  const lines = [
    `; written by \`pegasus onebox\` for ${role.name}; rewritten on every start`,
    '[apps.meta]', `ports = ${meta.port}`,
    ...(role.kind === 'replica' ? ['[apps.replica]', `ports = ${role.port}`] : []),
    '[core]', `data_dir = ${dataDir}`,
    '[meta_server]', `server_list = 127.0.0.1:${meta.port}`,
    'meta_state_service_type = meta_state_service_simple',
    'distributed_lock_service_type = distributed_lock_service_simple',
    // upstream's onebox knobs: a small cluster must not freeze or hold restarted servers back.
    'min_live_node_count_for_unfreeze = 1',
    'stable_rs_min_running_seconds = 0',
    // Read only by the meta on its first boot, when no table exists yet.
    `[meta_server.apps.${plan.appName}]`, `app_name = ${plan.appName}`,
    `partition_count = ${plan.partitionCount}`, `max_replica_count = ${plan.maxReplicaCount}`,
    // As upstream's config.min.ini: a partition takes writes as long as its primary is alive, however many of
    // its secondaries are down, so a onebox with servers stopped by hand stays writable (production uses 2).
    '[replication]', 'mutation_2pc_min_replica_count = 1',
    '',
  ];
  return lines.join('\n');
}

/** Creates the folders, writes every config.ini and the manifest. */
export function writeLayout(plan: OneboxPlan): void {
  for (const role of plan.roles) {
    mkdirSync(roleDirOf(plan.dir, role), { recursive: true });
    writeFileSync(configPathOf(plan.dir, role), configTextOf(plan, role));
  }
  const manifest: OneboxManifest = { roles: plan.roles, appName: plan.appName };
  writeFileSync(join(plan.dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

function isRoleKind(value: unknown): value is RoleKind {
  return value === 'meta' || value === 'replica';
}

/** The manifest of the onebox in `dir`, or undefined when there is none (never started, or cleared). */
export function readManifest(dir: string): OneboxManifest | undefined {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const bad = () => new PegasusError('ERR_INVALID_DATA', `${path} is not a onebox manifest`);
  if (typeof parsed !== 'object' || parsed === null || !('roles' in parsed) || !Array.isArray(parsed.roles)) throw bad();
  const roles: OneboxRole[] = [];
  for (const entry of parsed.roles as unknown[]) {
    if (typeof entry !== 'object' || entry === null) throw bad();
    const { name, kind, port } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || !isRoleKind(kind) || typeof port !== 'number') throw bad();
    roles.push({ name, kind, port });
  }
  const appName = 'appName' in parsed && typeof parsed.appName === 'string' ? parsed.appName : '';
  return { roles, appName };
}

export function writePid(dir: string, role: OneboxRole, pid: number): void {
  writeFileSync(pidPathOf(dir, role), `${pid}\n`);
}

export function readPid(dir: string, role: OneboxRole): number | undefined {
  const path = pidPathOf(dir, role);
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function removePid(dir: string, role: OneboxRole): void {
  rmSync(pidPathOf(dir, role), { force: true });
}
