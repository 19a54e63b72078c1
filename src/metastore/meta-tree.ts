/**
 * The in-memory node tree behind MemMetaStore and FileMetaStore: upstream's `_quick_map` of
 * `meta_state_service_simple`, with all-or-nothing application of a list of ops.
 *
 * `apply` runs the ops one after the other (each sees the ones before) and, on the first failure, undoes
 * the ones already applied before rethrowing, so a failed call leaves the tree exactly as it was. On
 * success it returns the undo, which FileMetaStore uses to validate a write before it is durable and
 * take it back until it is.
 */
import { assert } from '../base/assert.ts';
import { PegasusError } from '../base/error-code.ts';
import { nameOf, parentOf, ROOT_PATH, type MetaOp } from './meta-path.ts';

interface TreeNode {
  data: Buffer;
  readonly children: Set<string>;
}

export type Undo = () => void;

/** Bytes one node adds to a snapshot besides its path and data: its entry's op count, kind, two lengths. */
export const NODE_OVERHEAD_BYTES = 13;

const EMPTY = Buffer.alloc(0);

export class MetaTree {
  private readonly nodes = new Map<string, TreeNode>([[ROOT_PATH, { data: EMPTY, children: new Set() }]]);
  /** About what a snapshot of the tree takes on disk; drives FileMetaStore's compaction. */
  private liveBytesTotal = 0;

  get liveBytes(): number {
    return this.liveBytesTotal;
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  /** A copy, so callers cannot change the stored bytes. */
  getData(path: string): Buffer {
    return Buffer.from(this.node(path).data);
  }

  getChildren(path: string): string[] {
    return [...this.node(path).children].sort();
  }

  /**
   * Applies `ops` all or nothing. A failing op throws its own error, or, when `asTransaction`, upstream's
   * transaction error ERR_INCONSISTENT_STATE with the op's error as cause.
   */
  apply(ops: readonly MetaOp[], asTransaction: boolean): Undo {
    const undos: Undo[] = [];
    const undoAll: Undo = () => {
      for (let i = undos.length - 1; i >= 0; i--) undos[i]!();
    };
    for (const [index, op] of ops.entries()) {
      try {
        undos.push(this.applyOne(op));
      } catch (e) {
        undoAll();
        if (!asTransaction || !(e instanceof PegasusError)) throw e;
        throw new PegasusError('ERR_INCONSISTENT_STATE', `transaction op #${index} (${op.kind} ${op.path}) failed: ${e.message}`, { cause: e });
      }
    }
    return undoAll;
  }

  /** Every node, parents before children, root first: what a snapshot must recreate. */
  *walk(): Generator<{ path: string; data: Buffer }> {
    const stack: string[] = [ROOT_PATH];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.node(path);
      yield { path, data: node.data };
      const names = [...node.children].sort().reverse();
      for (const name of names) stack.push(path === ROOT_PATH ? `/${name}` : `${path}/${name}`);
    }
  }

  private applyOne(op: MetaOp): Undo {
    switch (op.kind) {
      case 'create':
        return this.create(op.path, op.data);
      case 'delete':
        return this.delete(op.path, op.recursive);
      case 'set':
        return this.set(op.path, op.data);
    }
  }

  private create(path: string, data: Buffer): Undo {
    if (this.nodes.has(path)) throw new PegasusError('ERR_NODE_ALREADY_EXIST', `${path} already exists`);
    const parent = this.nodes.get(parentOf(path));
    if (parent === undefined) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `parent of ${path} does not exist`);
    const name = nameOf(path);
    this.nodes.set(path, { data, children: new Set() });
    parent.children.add(name);
    this.liveBytesTotal += nodeBytes(path, data);
    return () => {
      assert(this.nodes.get(path)?.children.size === 0, `undo of create ${path}: node gone or has children`);
      this.nodes.delete(path);
      parent.children.delete(name);
      this.liveBytesTotal -= nodeBytes(path, data);
    };
  }

  private delete(path: string, recursive: boolean): Undo {
    if (path === ROOT_PATH) throw new PegasusError('ERR_INVALID_PARAMETERS', 'the root cannot be deleted');
    const node = this.nodes.get(path);
    if (node === undefined) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `${path} does not exist`);
    if (!recursive && node.children.size > 0) {
      throw new PegasusError('ERR_INVALID_PARAMETERS', `${path} has ${node.children.size} children and delete is not recursive`);
    }
    const removed: Array<[string, TreeNode]> = [];
    const stack = [path];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const n = this.nodes.get(p);
      assert(n !== undefined, `child ${p} listed but missing`);
      removed.push([p, n]);
      for (const name of n.children) stack.push(`${p}/${name}`);
    }
    for (const [p, n] of removed) {
      this.nodes.delete(p);
      this.liveBytesTotal -= nodeBytes(p, n.data);
    }
    const parent = this.node(parentOf(path));
    parent.children.delete(nameOf(path));
    return () => {
      for (const [p, n] of removed) {
        assert(!this.nodes.has(p), `undo of delete ${path}: ${p} reappeared`);
        this.nodes.set(p, n);
        this.liveBytesTotal += nodeBytes(p, n.data);
      }
      parent.children.add(nameOf(path));
    };
  }

  private set(path: string, data: Buffer): Undo {
    const node = this.nodes.get(path);
    if (node === undefined) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `${path} does not exist`);
    const previous = node.data;
    node.data = data;
    this.liveBytesTotal += data.length - previous.length;
    return () => {
      assert(this.nodes.get(path) === node, `undo of set ${path}: node replaced`);
      node.data = previous;
      this.liveBytesTotal += previous.length - data.length;
    };
  }

  private node(path: string): TreeNode {
    const node = this.nodes.get(path);
    if (node === undefined) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `${path} does not exist`);
    return node;
  }
}

function nodeBytes(path: string, data: Buffer): number {
  return path === ROOT_PATH ? data.length : NODE_OVERHEAD_BYTES + Buffer.byteLength(path, 'utf8') + data.length;
}
