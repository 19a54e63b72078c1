/** The two PartitionStore implementations behind one shape, for suites that must hold on both. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartitionStore } from '../../src/storage/partition-store.ts';
import { MemDisk } from '../../src/storage/mem/mem-disk.ts';
import { MemStore } from '../../src/storage/mem/mem-store.ts';
import { RocksStore } from '../../src/storage/rocks/rocks-store.ts';

export interface StoreFixture {
  readonly name: 'mem' | 'rocks';
  /** A fresh, empty data directory. */
  newDataDir(): Promise<string>;
  open(dataDir: string, nowMs: () => number): Promise<PartitionStore>;
  restoreFromCheckpoint(store: PartitionStore, decree: number, dataDir: string, nowMs: () => number): Promise<PartitionStore>;
  cleanup(): Promise<void>;
}

export function memFixture(): StoreFixture {
  const disk = new MemDisk();
  let next = 0;
  return {
    name: 'mem',
    newDataDir: async () => `/data/replica/${++next}.pegasus`,
    open: (dataDir, nowMs) => MemStore.open(disk, dataDir, { nowMs }),
    restoreFromCheckpoint: (store, decree, dataDir, nowMs) =>
      MemStore.restoreFromCheckpoint(disk, store.checkpointPath(decree), dataDir, { nowMs }),
    cleanup: async () => {},
  };
}

export function rocksFixture(): StoreFixture {
  const dirs: string[] = [];
  return {
    name: 'rocks',
    newDataDir: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'pegasus-store-'));
      dirs.push(dir);
      return join(dir, 'data');
    },
    open: (dataDir, nowMs) => RocksStore.open(dataDir, { nowMs }),
    restoreFromCheckpoint: (store, decree, dataDir, nowMs) =>
      RocksStore.restoreFromCheckpoint(store.checkpointPath(decree), dataDir, { nowMs }),
    cleanup: async () => {
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

export const STORE_FIXTURES: Array<() => StoreFixture> = [memFixture, rocksFixture];
