/**
 * The metadata store seam of the meta server (architecture.md §2, §3): upstream's `meta_state_service`
 * (`src/meta/meta_state_service.h`) and `distributed_lock_service`, as TypeScript interfaces.
 *
 * The store is a tree of nodes named by `/`-separated absolute paths (ZooKeeper's model); each node holds
 * a Buffer. The root `/` always exists. Every mutation resolves only once it is durable, because the meta
 * server writes a partition configuration to the store *before* changing its memory or replying
 * (pegasus-internals.md §9 item 4): a resolved write must survive a crash of the meta process.
 *
 * Implementations: `MemMetaStore` (simulator, unit tests), `FileMetaStore` (the embedded default, upstream's
 * `meta_state_service_simple`), later `ZkMetaStore`. All must stay implementable in memory, so nothing here
 * names a file, a session or a clock.
 *
 * Errors are PegasusErrors with upstream's names:
 * - a missing node (or a missing parent on create) → `ERR_OBJECT_NOT_FOUND`;
 * - create of an existing node (including `/`) → `ERR_NODE_ALREADY_EXIST`;
 * - delete of a node with children without `recursive`, delete of `/` → `ERR_INVALID_PARAMETERS`;
 * - a malformed path, a path or data over the limits, a transaction over its limits → `ERR_INVALID_PARAMETERS`;
 * - a transaction whose op fails → `ERR_INCONSISTENT_STATE` (upstream's transaction result), with the failing
 *   op's own error as `cause`; nothing of the transaction is applied;
 * - too many mutations queued → `ERR_BUSY`; use after `close()` → `ERR_SERVICE_NOT_ACTIVE`.
 */
import type { PegasusError } from '../base/error-code.ts';

/** One step of `submitTransaction`. Deletes in a transaction are never recursive, as in upstream and ZK multi. */
export type TransactionOp =
  | { readonly kind: 'create'; readonly path: string; readonly data: Buffer }
  | { readonly kind: 'delete'; readonly path: string }
  | { readonly kind: 'set'; readonly path: string; readonly data: Buffer };

export interface DeleteOptions {
  /** Delete the whole subtree; without it a node with children is refused (ERR_INVALID_PARAMETERS). */
  readonly recursive?: boolean;
}

export interface MetaStateStore {
  /** Creates `path` holding `data`; its parent must exist. */
  createNode(path: string, data?: Buffer): Promise<void>;
  deleteNode(path: string, options?: DeleteOptions): Promise<void>;
  /** A copy of the node's data: mutating it never changes the store. */
  getData(path: string): Promise<Buffer>;
  setData(path: string, data: Buffer): Promise<void>;
  /** The children's names (not paths), sorted. */
  getChildren(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  /**
   * Applies the ops in order, each seeing the effect of the ones before it, all or nothing: on the first
   * failing op nothing is applied and the promise rejects with ERR_INCONSISTENT_STATE. An empty list is a no-op.
   */
  submitTransaction(ops: readonly TransactionOp[]): Promise<void>;
  /** Waits for queued mutations to settle, then releases resources; later calls reject. */
  close(): Promise<void>;
}

/** Bounds on what one call may carry; ZooKeeper's own bound (jute.maxbuffer) is 1 MiB per node. */
export interface MetaStoreLimits {
  readonly nodeDataBytesMax: number;
  /** UTF-8 bytes of a normalized path. */
  readonly pathBytesMax: number;
  readonly transactionOpsMax: number;
  /** Sum of the data bytes of one transaction's ops. */
  readonly transactionDataBytesMax: number;
}

export const DEFAULT_META_STORE_LIMITS: MetaStoreLimits = {
  nodeDataBytesMax: 1024 * 1024,
  pathBytesMax: 1024,
  transactionOpsMax: 1024,
  transactionDataBytesMax: 4 * 1024 * 1024,
};

/** A held lock. `release` is idempotent; after loss it only cleans up. */
export interface LockHandle {
  /** The owner id this handle holds the lock as. */
  readonly ownerId: string;
  /** True once the lock was lost (onLost has been called) or released. */
  readonly held: boolean;
  release(): Promise<void>;
}

export interface LockOptions {
  /**
   * Who asks (the meta's `host:port`): stored with the lock so that followers can name the leader, as
   * upstream's lock node data does.
   */
  readonly ownerId: string;
  /**
   * Called at most once when the lock is lost without `release` (ZK session expiry, the lock file taken
   * away). The holder must stop acting as leader at once (pegasus-internals.md §9 item 5: upstream exits).
   */
  readonly onLost: (cause: PegasusError) => void;
}

/** The meta leader lock (upstream's `distributed_lock_service`, lock `dsn.meta.server.leader`). */
export interface DistributedLock {
  /**
   * Takes the lock or rejects with ERR_HOLD_BY_OTHERS when someone else holds it (ERR_RECURSIVE_LOCK when
   * this process does). It does not wait: the meta retries every second, as `acquire_leader_lock()` does.
   */
  lock(options: LockOptions): Promise<LockHandle>;
  /** The current holder's owner id, or undefined when free; followers use it as the leader hint. */
  queryOwner(): Promise<string | undefined>;
}
