/**
 * The client's failures, as classes a caller can tell apart with `instanceof` (style.md Part 2 (b)); never
 * plain strings. Every one carries a `code`:
 * - `PegasusRpcError`: an RPC-level error name (protocol.md §5.1), from a response frame, from the transport
 *   (ERR_TIMEOUT, ERR_NETWORK_FAILURE, ERR_BUSY) or from the meta server's `err` (`PegasusMetaError`).
 * - `PegasusTimeoutError`: the operation's deadline passed (code ERR_TIMEOUT); `cause` is the last failure
 *   seen while retrying, if any.
 * - `PegasusStorageError`: a storage status the operation does not expect (protocol.md §5.2), code = the
 *   status name (`kInvalidArgument`, ...), `status` = its number.
 * - `PegasusAbortError`: the caller's AbortSignal fired (code ABORT_ERR, name AbortError, as Node's own).
 * - `PegasusClientError` itself, with ERR_INVALID_PARAMETERS: the call was refused before anything was sent.
 */
import { StorageStatus } from '../base/error-code.ts';

export class PegasusClientError extends Error {
  override name = 'PegasusClientError';
  constructor(
    /** An upstream RPC error name (ERR_*), a storage status name (k*), or ABORT_ERR. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

/** An RPC-level error name from a server, the transport or the meta server. */
export class PegasusRpcError extends PegasusClientError {
  override name = 'PegasusRpcError';
  constructor(
    code: string,
    message: string,
    /** The server the failing call went to, when there was one. */
    readonly address?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** The meta server refused the table query, e.g. ERR_OBJECT_NOT_FOUND for a table that does not exist. */
export class PegasusMetaError extends PegasusRpcError {
  override name = 'PegasusMetaError';
}

/** The operation's deadline passed (retries included). */
export class PegasusTimeoutError extends PegasusRpcError {
  override name = 'PegasusTimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TIMEOUT', message, undefined, options);
  }
}

/** The storage layer answered a status the operation does not accept. */
export class PegasusStorageError extends PegasusClientError {
  override name = 'PegasusStorageError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(storageStatusName(status), message);
  }
}

export class PegasusAbortError extends PegasusClientError {
  override name = 'AbortError';
  constructor(options?: { cause?: unknown }) {
    super('ABORT_ERR', 'the operation was aborted', options);
  }
}

const STATUS_NAMES = new Map<number, string>(Object.entries(StorageStatus).map(([name, value]) => [value, name]));

/** `kInvalidArgument` for 4; unknown numbers read as `status_<n>`. */
export function storageStatusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `status_${status}`;
}

export function invalidParameters(message: string): PegasusClientError {
  return new PegasusClientError('ERR_INVALID_PARAMETERS', message);
}
