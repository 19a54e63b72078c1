/**
 * The real replica directories (contract layout, upstream replication_common.cpp / replica_init.cpp):
 * `<data dir>/replica/reps/<app_id>.<pidx>.pegasus/` holding `data/` (RocksStore), `plog/` (FileLog),
 * `.init-info` and `.app-info`. The small files are replaced atomically and durably — write a temp file,
 * fsync it, rename over the old one, fsync the directory — so a crash leaves the old or the new file,
 * never a torn one. Directories moved aside get upstream's names: `<gpid>.pegasus.<µs>.err|gar`.
 */
import { mkdir, open, readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { EnvClock } from '../../base/clock.ts';
import { PegasusError } from '../../base/error-code.ts';
import { formatGpid, type Gpid } from '../../base/gpid.ts';
import { FileLog } from '../../log/index.ts';
import type { MoveAsideSuffix, OpenedReplicaFiles, ReplicaFileName, ReplicaStorage } from '../../replica/stub/stub-env.ts';
import { RocksStore } from '../../storage/rocks/rocks-store.ts';
import { PartitionDb } from '../../storage/rrdb/partition-db.ts';

const REPLICA_DIR_NAME = /^(\d+)\.(\d+)\.pegasus$/;

export interface FsReplicaStorageOptions {
  /** The disk's directory (`[replication] data_dirs` path or `[core] data_dir`); `replica/reps` is appended. */
  dataDir: string;
  clock: EnvClock;
  /** This server's address, written into every rrdb response. */
  server: string;
  clusterId: number;
}

function isMissing(e: unknown): boolean {
  return e instanceof Error && 'code' in e && e.code === 'ENOENT';
}

export class FsReplicaStorage implements ReplicaStorage {
  readonly repsDir: string;

  constructor(private readonly options: FsReplicaStorageOptions) {
    this.repsDir = join(options.dataDir, 'replica', 'reps');
  }

  dirOf(gpid: Gpid): string {
    return join(this.repsDir, `${formatGpid(gpid)}.pegasus`);
  }

  async listReplicas(): Promise<Gpid[]> {
    await mkdir(this.repsDir, { recursive: true });
    const gpids: Gpid[] = [];
    for (const entry of await readdir(this.repsDir, { withFileTypes: true })) {
      const match = REPLICA_DIR_NAME.exec(entry.name);
      if (match === null || !entry.isDirectory()) continue;
      gpids.push({ appId: Number(match[1]), partitionIndex: Number(match[2]) });
    }
    return gpids.sort((a, b) => a.appId - b.appId || a.partitionIndex - b.partitionIndex);
  }

  async openReplica(gpid: Gpid): Promise<OpenedReplicaFiles> {
    const dir = this.dirOf(gpid);
    const nowMs = (): number => this.options.clock.nowMs();
    const store = await RocksStore.open(join(dir, 'data'), { nowMs });
    try {
      const db = new PartitionDb(store, { gpid, server: this.options.server, clock: { nowMs }, clusterId: this.options.clusterId });
      const log = await FileLog.open(join(dir, 'plog'), { gpid, nowMs });
      return { db, log };
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  async readFile(gpid: Gpid, name: ReplicaFileName): Promise<string | undefined> {
    try {
      return await readFile(join(this.dirOf(gpid), name), 'utf8');
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw new PegasusError('ERR_FILE_OPERATION_FAILED', `reading ${formatGpid(gpid)}/${name}`, { cause: e });
    }
  }

  async writeFile(gpid: Gpid, name: ReplicaFileName, text: string): Promise<void> {
    const dir = this.dirOf(gpid);
    await mkdir(dir, { recursive: true });
    const path = join(dir, name);
    const temp = `${path}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    await syncDir(dir);
  }

  async moveAside(gpid: Gpid, suffix: MoveAsideSuffix): Promise<string> {
    const name = `${formatGpid(gpid)}.pegasus.${this.options.clock.nowMs() * 1000}.${suffix}`;
    await rename(this.dirOf(gpid), join(this.repsDir, name));
    await syncDir(this.repsDir);
    return name;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
