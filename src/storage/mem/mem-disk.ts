/**
 * The simulated disk of one node for MemStore: durable images by path. Whatever is here survives a crash of
 * the process that wrote it; a MemStore's unflushed writes do not, exactly like RocksDB with its WAL off.
 */
import type { BTree } from './btree.ts';

export interface DurableImage {
  /** Copy-on-write clone of the data tree at the flush. */
  data: BTree<Buffer, Buffer>;
  /** Meta column family. */
  meta: Map<string, string>;
  createdMs: number;
}

export class MemDisk {
  private readonly images = new Map<string, DurableImage>();

  get(path: string): DurableImage | undefined {
    return this.images.get(path);
  }

  set(path: string, image: DurableImage): void {
    this.images.set(path, image);
  }

  has(path: string): boolean {
    return this.images.has(path);
  }

  delete(path: string): boolean {
    return this.images.delete(path);
  }

  /** Paths directly under `dir`, as names. */
  list(dir: string): string[] {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const names: string[] = [];
    for (const path of this.images.keys()) {
      if (path.startsWith(prefix) && !path.slice(prefix.length).includes('/')) names.push(path.slice(prefix.length));
    }
    return names.sort();
  }
}
