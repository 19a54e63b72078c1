/**
 * The one adapter interface every benchmarked system sits behind, so the same load-generator processes
 * drive pegasus-ts, etcd and Redis with the same workload.
 *
 * Two halves, because the load runs in other processes than the coordinator:
 *   - a `BenchSystem` (coordinator side) starts the system's servers in a work folder on spare loopback ports,
 *     names their pids (the report shows each process's CPU) and stops them;
 *   - a `RecordStore` (load-generator side) is one process's connection, opened from the JSON-serialisable
 *     `ConnectionSpec` the started system hands out.
 *
 * A record is YCSB's: a key (`user…`) and one value of `fieldCount × fieldLength` bytes (YCSB's fields
 * concatenated; every system stores the record as one value, so an update rewrites the whole record).
 */

/** How a load-generator process reaches a started system; plain JSON, sent over IPC. */
export type ConnectionSpec =
  | { readonly kind: 'pegasus'; readonly metaServers: readonly string[]; readonly table: string }
  | { readonly kind: 'etcd'; readonly endpoints: readonly string[] }
  | { readonly kind: 'redis'; readonly host: string; readonly port: number };

/** One load-generator process's connection to the system under test. Every call throws on failure. */
export interface RecordStore {
  /** Writes a new record. */
  insert(key: string, value: Buffer): Promise<void>;
  /** Rewrites an existing record. */
  update(key: string, value: Buffer): Promise<void>;
  /** The record's value, or undefined when it does not exist. */
  read(key: string): Promise<Buffer | undefined>;
  /**
   * Reads up to `count` records in key order from `startKey` (inclusive); returns how many it read. Each
   * system scans the way it is built to: a multi_get sort-key range within a hash key (pegasus-ts), a
   * range with a limit (etcd), a sorted-set index then MGET (Redis).
   */
  scan(startKey: string, count: number): Promise<number>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** A folder of this system's own (data, configs, logs); removed by the coordinator afterwards. */
  readonly workDir: string;
  /** When set, the servers record a CPU profile (`.cpuprofile`, or the peer's own format) into this folder. */
  readonly profileDir?: string;
}

export interface StartedSystem {
  readonly connection: ConnectionSpec;
  /** The server processes, by a short role name (`meta1`, `replica2`, `etcd1`, `redis`), for CPU accounting. */
  serverPids(): ReadonlyMap<string, number>;
  /** Stops every server process it started and waits for them to exit. */
  stop(): Promise<void>;
}

export interface BenchSystem {
  /** Short id used on the command line: `pegasus1`, `pegasus3`, `etcd`, `redis`. */
  readonly id: string;
  /** The report's column name, e.g. `pegasus-ts (3 replicas)`, `etcd 3.4 (3 members)`, `Redis 7.0 (AOF everysec)`. */
  readonly label: string;
  /** Undefined when the system can run here; else one line saying why not (e.g. how to install it). */
  unavailableReason(): Promise<string | undefined>;
  start(options: StartOptions): Promise<StartedSystem>;
}
