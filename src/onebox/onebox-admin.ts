/**
 * `pegasus onebox stop | list | clear`: found through the manifest `start`/`run` left in the directory, so
 * they need no options but `--dir`.
 */
import { existsSync, rmSync } from 'node:fs';
import { readManifest } from './onebox-layout.ts';
import { roleStates, stopRoles } from './onebox-processes.ts';

/** Returns the exit code; stopping a onebox that is not running is not an error (as `run.sh stop_onebox`). */
export async function stopOnebox(dir: string): Promise<number> {
  const manifest = readManifest(dir);
  if (manifest === undefined) {
    console.log(`no onebox in ${dir}`);
    return 0;
  }
  const reports = await stopRoles(dir, manifest.roles);
  if (reports.length === 0) console.log(`the onebox in ${dir} is not running`);
  for (const report of reports) {
    const how = report.by === 'SIGTERM' ? 'stopped' : 'killed (SIGKILL: it did not stop on SIGTERM in time)';
    console.log(`${report.role.name} (pid ${report.pid}) ${how}`);
  }
  return 0;
}

export function listOnebox(dir: string): number {
  const manifest = readManifest(dir);
  if (manifest === undefined) {
    console.log(`no onebox in ${dir}`);
    return 0;
  }
  const rows = roleStates(dir, manifest.roles).map((s) => [s.role.name, s.role.kind, `127.0.0.1:${s.role.port}`, s.pid === undefined ? '-' : String(s.pid), s.alive ? 'alive' : 'stopped']);
  const header = ['ROLE', 'KIND', 'ADDRESS', 'PID', 'STATE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  return 0;
}

/** Stops the onebox, then removes its directory with every table's data. */
export async function clearOnebox(dir: string): Promise<number> {
  if (!existsSync(dir)) {
    console.log(`no onebox in ${dir}`);
    return 0;
  }
  // Only a directory a onebox made is removed, so a mistyped --dir cannot wipe unrelated files.
  if (readManifest(dir) === undefined) {
    console.error(`ERR_INVALID_PARAMETERS: ${dir} has no onebox.json, so it is not a onebox directory; not removing it`);
    return 1;
  }
  await stopOnebox(dir);
  rmSync(dir, { recursive: true, force: true });
  console.log(`removed ${dir}`);
  return 0;
}
