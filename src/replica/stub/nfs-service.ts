/**
 * The file-copy service a replica server offers its learners (LT_APP, pegasus-internals.md §2.8): upstream's
 * RPC_NFS_COPY and RPC_NFS_GET_FILE_SIZE (src/nfs/nfs_server_impl.cpp), narrowed to the checkpoints of
 * replicas hosted here. Upstream opens `source_dir`/`file_name` as a path on its disk; here `source_dir`
 * must be `<app>.<pidx>/checkpoint.<decree>`, parsed strictly, and the file is reached only through that
 * replica's `checkpointManifest` / `readCheckpointFile`, so no request can read anything else. Failures
 * travel in the response struct's `error`, as upstream's server sends them.
 */
import { isPegasusError, PegasusError, type ErrorCode } from '../../base/error-code.ts';
import { formatGpid, gpidEquals, type Gpid } from '../../base/gpid.ts';
import { NFS_RPCS } from '../../idl/codec/nfs-rpcs.ts';
import { errorCodeToI32, type CopyResponse, type GetFileSizeResponse } from '../../idl/nfs.ts';
import type { RpcHandlerRegistry } from '../../rpc/transport.ts';
import { CHECKPOINT_FILES_MAX, checkCheckpointFileName } from '../../storage/checkpoint-files.ts';
import { checkpointDirName } from '../../storage/partition-store.ts';
import type { ReplicaStorage, StubLogger } from './stub-env.ts';

/** What the service reads a hosted replica's checkpoints through. */
export type CheckpointSource = Pick<ReplicaStorage, 'checkpointManifest' | 'readCheckpointFile'>;

/** The source of a replica hosted here, or undefined for one that is not. */
export type CheckpointSourceLookup = (gpid: Gpid) => CheckpointSource | undefined;

/** Bytes one RPC_NFS_COPY may ask for: upstream's `nfs_copy_block_bytes` default, 4 MiB. */
export const NFS_COPY_CHUNK_BYTES_MAX = 4 * 1024 * 1024;

/** Reads served at once; more are answered ERR_BUSY (the learner retries) so learners cannot pile up memory. */
export const NFS_CONCURRENT_READS_MAX = 16;

export interface NfsServiceOptions {
  /** Per-request bound, at most NFS_COPY_CHUNK_BYTES_MAX. */
  readonly chunkBytesMax?: number;
  readonly concurrentReadsMax?: number;
  readonly logger?: Pick<StubLogger, 'warn'>;
}

/** `<app>.<pidx>/checkpoint.<decree>`: how a copy request names a checkpoint. */
export function formatCheckpointSourceDir(gpid: Gpid, decree: number): string {
  return `${formatGpid(gpid)}/${checkpointDirName(decree)}`;
}

const SOURCE_DIR = /^(0|[1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,9})\/checkpoint\.(0|[1-9][0-9]{0,15})$/;
const I32_MAX = 0x7fffffff;

/** The replica and decree a `source_dir` names, or undefined for anything but the exact form. */
export function parseCheckpointSourceDir(text: string): { gpid: Gpid; decree: number } | undefined {
  const match = SOURCE_DIR.exec(text);
  if (match === null) return undefined;
  const appId = Number(match[1]);
  const partitionIndex = Number(match[2]);
  const decree = Number(match[3]);
  if (appId > I32_MAX || partitionIndex > I32_MAX || !Number.isSafeInteger(decree)) return undefined;
  return { gpid: { appId, partitionIndex }, decree };
}

interface ResolvedCheckpoint {
  gpid: Gpid;
  decree: number;
  source: CheckpointSource;
}

function resolveCheckpoint(lookup: CheckpointSourceLookup, sourceDir: string, pid: Gpid | undefined): ResolvedCheckpoint {
  const parsed = parseCheckpointSourceDir(sourceDir);
  if (parsed === undefined) throw new PegasusError('ERR_INVALID_PARAMETERS', `source_dir ${JSON.stringify(sourceDir.slice(0, 100))} names no checkpoint`);
  if (pid !== undefined && !gpidEquals(pid, parsed.gpid)) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `pid ${formatGpid(pid)} does not match source_dir ${sourceDir}`);
  }
  const source = lookup(parsed.gpid);
  if (source === undefined) throw new PegasusError('ERR_INVALID_PARAMETERS', `replica ${formatGpid(parsed.gpid)} is not hosted here`);
  return { ...parsed, source };
}

/** An expected failure becomes the response's error; anything else is a bug and propagates. */
function failureCode(e: unknown): ErrorCode {
  if (isPegasusError(e) && e.code !== 'ERR_OK') return e.code;
  throw e;
}

export function registerNfsService(handlers: RpcHandlerRegistry, lookup: CheckpointSourceLookup, options: NfsServiceOptions = {}): void {
  const chunkBytesMax = Math.min(options.chunkBytesMax ?? NFS_COPY_CHUNK_BYTES_MAX, NFS_COPY_CHUNK_BYTES_MAX);
  const concurrentReadsMax = options.concurrentReadsMax ?? NFS_CONCURRENT_READS_MAX;
  let readsInFlight = 0;

  const warn = (e: unknown, what: string): void => {
    // Bad requests are the peer's problem; a failing local read is ours and worth a line.
    if (isPegasusError(e, 'ERR_FILE_OPERATION_FAILED')) options.logger?.warn({ err: e }, what);
  };

  handlers.register('RPC_NFS_COPY', async (request, reply) => {
    const args = NFS_RPCS.RPC_NFS_COPY.decodeArgs(request.args, 0);
    const failed = (error: ErrorCode): CopyResponse => ({ error, fileContent: Buffer.alloc(0), offset: args.offset, size: 0 });
    if (readsInFlight >= concurrentReadsMax) {
      reply.ok(NFS_RPCS.RPC_NFS_COPY.encodeResponse(failed('ERR_BUSY')));
      return;
    }
    readsInFlight++;
    let response: CopyResponse;
    try {
      const { gpid, decree, source } = resolveCheckpoint(lookup, args.sourceDir, args.pid);
      checkCheckpointFileName(args.fileName);
      if (args.offset < 0 || args.size < 0 || args.size > chunkBytesMax) {
        throw new PegasusError('ERR_INVALID_PARAMETERS', `chunk of ${args.size} bytes at ${args.offset} (at most ${chunkBytesMax})`);
      }
      const content = await source.readCheckpointFile(gpid, decree, args.fileName, args.offset, args.size);
      response = { error: 'ERR_OK', fileContent: content, offset: args.offset, size: content.length };
    } catch (e) {
      warn(e, 'nfs copy failed');
      response = failed(failureCode(e));
    } finally {
      readsInFlight--;
    }
    reply.ok(NFS_RPCS.RPC_NFS_COPY.encodeResponse(response));
  });

  handlers.register('RPC_NFS_GET_FILE_SIZE', async (request, reply) => {
    const args = NFS_RPCS.RPC_NFS_GET_FILE_SIZE.decodeArgs(request.args, 0);
    let response: GetFileSizeResponse;
    try {
      const { gpid, decree, source } = resolveCheckpoint(lookup, args.sourceDir, args.pid);
      if (args.fileList.length > CHECKPOINT_FILES_MAX) throw new PegasusError('ERR_INVALID_PARAMETERS', `${args.fileList.length} files asked for`);
      const manifest = await source.checkpointManifest(gpid, decree);
      let files = manifest;
      if (args.fileList.length > 0) {
        const byName = new Map(manifest.map((file) => [file.name, file]));
        files = args.fileList.map((name) => {
          checkCheckpointFileName(name);
          const file = byName.get(name);
          if (file === undefined) throw new PegasusError('ERR_INVALID_PARAMETERS', `${name} is not in ${args.sourceDir}`);
          return file;
        });
      }
      response = { error: errorCodeToI32('ERR_OK'), fileList: files.map((f) => f.name), sizeList: files.map((f) => f.sizeBytes) };
    } catch (e) {
      warn(e, 'nfs get_file_size failed');
      response = { error: errorCodeToI32(failureCode(e)), fileList: [], sizeList: [] };
    }
    reply.ok(NFS_RPCS.RPC_NFS_GET_FILE_SIZE.encodeResponse(response));
  });
}
