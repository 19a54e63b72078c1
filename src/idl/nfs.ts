/**
 * TypeScript shapes of the file-copy service replicas use to learn a checkpoint (LT_APP,
 * pegasus-internals.md §2.8): upstream's `nfs` service, src/nfs/nfs.thrift (`copy_request`/`copy_response`
 * for RPC_NFS_COPY, `get_file_size_request`/`get_file_size_response` for RPC_NFS_GET_FILE_SIZE). Codecs:
 * src/idl/codec/nfs-structs.ts, RPC table: src/idl/codec/nfs-rpcs.ts.
 *
 * Upstream's server reads whatever path `source_dir` + `file_name` name. Ours never does: `source_dir`
 * names a replica and a checkpoint (`<app>.<pidx>/checkpoint.<decree>`, see replica/stub/nfs-service.ts)
 * and the file is looked up in that checkpoint's manifest, so a request can reach nothing else.
 *
 * Conventions as in replication.ts: camelCase thrift names, i64 offsets and sizes are numbers (the codecs
 * range-check them), `hp*` fields are the optional host_port twins.
 */
import { ERROR_CODE_NAMES, type ErrorCode } from '../base/error-code.ts';
import type { Gpid } from '../base/gpid.ts';
import type { HostPort, RpcAddress } from './thrift/dsn.ts';

/** `copy_request`: one chunk `[offset, offset + size)` of one file. */
export interface CopyRequest {
  /** The node the file is on (upstream's client sends its target here). */
  source: RpcAddress;
  /** Ours: `<app>.<pidx>/checkpoint.<decree>`, never a path on the server's disk. */
  sourceDir: string;
  /** Where the requester puts the file; informational for the server. */
  dstDir: string;
  /** A name of the checkpoint's manifest (no directories). */
  fileName: string;
  offset: number;
  /** Bytes asked for; the server refuses more than its per-request bound. */
  size: number;
  isLast: boolean;
  overwrite: boolean;
  sourceDiskTag?: string;
  /** When present it must name the replica `sourceDir` names. */
  pid?: Gpid;
  hpSource?: HostPort;
}

/** `copy_response`. `size` is the number of bytes in `fileContent` (short at the end of the file). */
export interface CopyResponse {
  error: ErrorCode;
  fileContent: Buffer;
  offset: number;
  size: number;
}

/** `get_file_size_request`: the sizes of `fileList` in `sourceDir`, or of every file there when empty. */
export interface GetFileSizeRequest {
  source: RpcAddress;
  dstDir: string;
  fileList: string[];
  sourceDir: string;
  overwrite: boolean;
  sourceDiskTag?: string;
  destDiskTag?: string;
  pid?: Gpid;
  hpSource?: HostPort;
}

/**
 * `get_file_size_response`. Upstream declares `error` as a plain i32 (the error_code's integer value), not
 * the error_code name every other response carries; see `errorCodeToI32`.
 */
export interface GetFileSizeResponse {
  error: number;
  fileList: string[];
  sizeList: number[];
}

/**
 * An error name as upstream's integer value: rDSN registers the built-in codes in declaration order at
 * start-up, which is the order ERROR_CODE_NAMES keeps.
 */
export function errorCodeToI32(code: ErrorCode): number {
  return ERROR_CODE_NAMES.indexOf(code);
}

/** The name of upstream's integer error value; values we do not know read as ERR_UNKNOWN. */
export function errorCodeFromI32(value: number): ErrorCode {
  return ERROR_CODE_NAMES[value] ?? 'ERR_UNKNOWN';
}
