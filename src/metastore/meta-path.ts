/**
 * Path and argument checks shared by every MetaStateStore, so that the memory, file and ZooKeeper stores
 * refuse exactly the same inputs (ERR_INVALID_PARAMETERS) before touching any state.
 *
 * A valid path is `/` or `/name(/name)*`: absolute, no empty, `.` or `..` component and no NUL (ZooKeeper
 * refuses those too). One trailing `/` is dropped, as upstream's `normalize_path` does.
 */
import { PegasusError } from '../base/error-code.ts';
import type { MetaStoreLimits, TransactionOp } from './meta-state-store.ts';

/** An op as stores apply and log it: a single `deleteNode` call may be recursive, a transaction's may not. */
export type MetaOp =
  | { readonly kind: 'create'; readonly path: string; readonly data: Buffer }
  | { readonly kind: 'delete'; readonly path: string; readonly recursive: boolean }
  | { readonly kind: 'set'; readonly path: string; readonly data: Buffer };

export const ROOT_PATH = '/';

export function normalizePath(path: string, limits: MetaStoreLimits): string {
  if (typeof path !== 'string' || !path.startsWith('/')) throw invalid(`path ${JSON.stringify(path)} is not absolute`);
  if (path.includes('//')) throw invalid(`path ${JSON.stringify(path)} has an empty component`);
  const normalized = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const bytes = Buffer.byteLength(normalized, 'utf8');
  if (bytes > limits.pathBytesMax) throw invalid(`path of ${bytes} bytes exceeds ${limits.pathBytesMax}`);
  if (normalized === ROOT_PATH) return normalized;
  if (normalized.includes('\0')) throw invalid(`path ${JSON.stringify(path)} contains NUL`);
  for (const name of normalized.slice(1).split('/')) {
    if (name === '' || name === '.' || name === '..') throw invalid(`path ${JSON.stringify(path)} has an empty, . or .. component`);
  }
  return normalized;
}

/** The parent of a normalized non-root path. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === 0 ? ROOT_PATH : path.slice(0, slash);
}

/** The last component of a normalized non-root path. */
export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function checkData(data: unknown, limits: MetaStoreLimits): Buffer {
  if (!Buffer.isBuffer(data)) throw invalid('node data must be a Buffer');
  if (data.length > limits.nodeDataBytesMax) throw invalid(`node data of ${data.length} bytes exceeds ${limits.nodeDataBytesMax}`);
  return data;
}

/**
 * Validates and normalizes one call's ops, copying data so a caller mutating its buffer after the call
 * cannot change what is stored.
 */
export function checkedOp(op: MetaOp, limits: MetaStoreLimits): MetaOp {
  const path = normalizePath(op.path, limits);
  switch (op.kind) {
    case 'create':
    case 'set':
      return { kind: op.kind, path, data: Buffer.from(checkData(op.data, limits)) };
    case 'delete':
      return { kind: 'delete', path, recursive: op.recursive };
    default:
      throw invalid(`unknown op kind ${JSON.stringify((op as { kind: unknown }).kind)}`);
  }
}

export function checkedTransaction(ops: readonly TransactionOp[], limits: MetaStoreLimits): MetaOp[] {
  if (!Array.isArray(ops)) throw invalid('a transaction is an array of ops');
  if (ops.length > limits.transactionOpsMax) throw invalid(`transaction of ${ops.length} ops exceeds ${limits.transactionOpsMax}`);
  let dataBytes = 0;
  const out: MetaOp[] = [];
  for (const op of ops) {
    const checked = checkedOp(op.kind === 'delete' ? { kind: 'delete', path: op.path, recursive: false } : op, limits);
    if (checked.kind !== 'delete') dataBytes += checked.data.length;
    out.push(checked);
  }
  if (dataBytes > limits.transactionDataBytesMax) {
    throw invalid(`transaction data of ${dataBytes} bytes exceeds ${limits.transactionDataBytesMax}`);
  }
  return out;
}

function invalid(message: string): PegasusError {
  return new PegasusError('ERR_INVALID_PARAMETERS', message);
}
