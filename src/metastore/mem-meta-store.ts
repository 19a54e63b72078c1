/**
 * MetaStateStore in memory, for the simulator and unit tests: the same tree and checks as FileMetaStore,
 * nothing durable. A simulated store (delays, session loss) wraps this one in sim/.
 */
import { PegasusError } from '../base/error-code.ts';
import { checkedOp, checkedTransaction, normalizePath, type MetaOp } from './meta-path.ts';
import {
  DEFAULT_META_STORE_LIMITS,
  type DeleteOptions,
  type MetaStateStore,
  type MetaStoreLimits,
  type TransactionOp,
} from './meta-state-store.ts';
import { MetaTree } from './meta-tree.ts';

export class MemMetaStore implements MetaStateStore {
  private readonly tree = new MetaTree();
  private closed = false;

  constructor(private readonly limits: MetaStoreLimits = DEFAULT_META_STORE_LIMITS) {}

  async createNode(path: string, data: Buffer = Buffer.alloc(0)): Promise<void> {
    this.mutate([checkedOp({ kind: 'create', path, data }, this.limits)], false);
  }

  async deleteNode(path: string, options: DeleteOptions = {}): Promise<void> {
    this.mutate([checkedOp({ kind: 'delete', path, recursive: options.recursive === true }, this.limits)], false);
  }

  async setData(path: string, data: Buffer): Promise<void> {
    this.mutate([checkedOp({ kind: 'set', path, data }, this.limits)], false);
  }

  async submitTransaction(ops: readonly TransactionOp[]): Promise<void> {
    this.mutate(checkedTransaction(ops, this.limits), true);
  }

  async getData(path: string): Promise<Buffer> {
    this.checkOpen();
    return this.tree.getData(normalizePath(path, this.limits));
  }

  async getChildren(path: string): Promise<string[]> {
    this.checkOpen();
    return this.tree.getChildren(normalizePath(path, this.limits));
  }

  async exists(path: string): Promise<boolean> {
    this.checkOpen();
    return this.tree.has(normalizePath(path, this.limits));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private mutate(ops: MetaOp[], asTransaction: boolean): void {
    this.checkOpen();
    this.tree.apply(ops, asTransaction);
  }

  private checkOpen(): void {
    if (this.closed) throw new PegasusError('ERR_SERVICE_NOT_ACTIVE', 'the meta store is closed');
  }
}
