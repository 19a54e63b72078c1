/**
 * The learner's half of an LT_APP copy (pegasus-internals.md §2.8, upstream's nfs client,
 * src/nfs/nfs_client_impl.cpp): fetch every file of the learnee's checkpoint chunk by chunk through
 * RPC_NFS_COPY and stage it in the replica's `learn/` area; `installLearnedCheckpoint` takes it from there.
 *
 * Bounded everywhere: at most `concurrency` chunk requests in flight (upstream's
 * `max_concurrent_remote_copy_requests`, smaller here because every chunk is held in memory until staged),
 * each chunk at most NFS_COPY_CHUNK_BYTES_MAX, each retried at most `attemptsMax - 1` times (upstream's
 * `max_retry_count_per_copy_request`, 2) and only for failures that may pass (timeouts, a lost connection,
 * a busy or failing peer disk). Anything else, or the last attempt, rejects the copy with that PegasusError.
 *
 * Pure logic over an RpcChannel and the ReplicaStorage: no timers, except an optional pause between
 * attempts through an EnvClock.
 */
import type { EnvClock } from '../base/clock.ts';
import { isErrorCode, isPegasusError, PegasusError, type ErrorCode } from '../base/error-code.ts';
import { formatGpid, type Gpid } from '../base/gpid.ts';
import { NFS_RPCS } from '../idl/codec/nfs-rpcs.ts';
import { errorCodeFromI32 } from '../idl/nfs.ts';
import { toWireAddress, type RpcAddress as WireAddress } from '../idl/thrift/dsn.ts';
import type { RpcAddress, RpcCallResult, RpcChannel } from '../rpc/transport.ts';
import {
  CHECKPOINT_FILES_MAX,
  LEARN_DIR_NAME,
  LEARN_FILE_BYTES_MAX,
  checkCheckpointFileName,
  isCheckpointFileName,
  type CheckpointFile,
} from '../storage/checkpoint-files.ts';
import { NFS_COPY_CHUNK_BYTES_MAX, formatCheckpointSourceDir } from './stub/nfs-service.ts';
import type { ReplicaStorage } from './stub/stub-env.ts';

export const COPY_CHUNK_BYTES_DEFAULT = 1024 * 1024;
export const COPY_CONCURRENCY_DEFAULT = 2;
export const COPY_CONCURRENCY_MAX = 16;
/** One try and upstream's two retries (`max_retry_count_per_copy_request`). */
export const COPY_ATTEMPTS_DEFAULT = 3;
export const COPY_ATTEMPTS_MAX = 10;

/** Failures a later attempt may not see again; the rest would fail the same way every time. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_TIMEOUT',
  'ERR_NETWORK_FAILURE',
  'ERR_BUSY',
  'ERR_FILE_OPERATION_FAILED',
  'ERR_TRY_AGAIN',
]);

interface RemoteCallOptions {
  readonly channel: RpcChannel;
  readonly learnee: RpcAddress;
  readonly gpid: Gpid;
  readonly decree: number;
  /** Per request. */
  readonly timeoutMs: number;
  /** Tries per request, in [1, COPY_ATTEMPTS_MAX]; default COPY_ATTEMPTS_DEFAULT. */
  readonly attemptsMax?: number;
  /** A pause between attempts (none without it). */
  readonly retryDelay?: { readonly clock: EnvClock; readonly delayMs: number };
}

export interface CopyCheckpointOptions extends RemoteCallOptions {
  /** The checkpoint's files with their sizes (e.g. from `fetchCheckpointManifest`). */
  readonly files: readonly CheckpointFile[];
  readonly storage: Pick<ReplicaStorage, 'stageLearnedFile' | 'discardStagedFiles'>;
  /** Bytes per RPC_NFS_COPY, in [1, NFS_COPY_CHUNK_BYTES_MAX]; default 1 MiB. */
  readonly chunkBytes?: number;
  /** Chunk requests in flight, in [1, COPY_CONCURRENCY_MAX]; default 2. */
  readonly concurrency?: number;
}

interface Chunk {
  readonly file: CheckpointFile;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly isLast: boolean;
}

function checkInteger(value: number, min: number, max: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new PegasusError('ERR_INVALID_PARAMETERS', `${what} ${value} not in [${min}, ${max}]`);
  return value;
}

function checkFiles(files: readonly CheckpointFile[]): void {
  checkInteger(files.length, 0, CHECKPOINT_FILES_MAX, 'file count');
  const names = new Set<string>();
  for (const file of files) {
    checkCheckpointFileName(file.name);
    checkInteger(file.sizeBytes, 0, LEARN_FILE_BYTES_MAX, `size of ${file.name}`);
    if (names.has(file.name)) throw new PegasusError('ERR_INVALID_PARAMETERS', `${file.name} listed twice`);
    names.add(file.name);
  }
}

/** Chunks in file order; an empty file is one empty chunk, so it is staged too. */
function* chunksOf(files: readonly CheckpointFile[], chunkBytes: number): Generator<Chunk> {
  for (const file of files) {
    let offsetBytes = 0;
    do {
      const lengthBytes = Math.min(chunkBytes, file.sizeBytes - offsetBytes);
      yield { file, offsetBytes, lengthBytes, isLast: offsetBytes + lengthBytes === file.sizeBytes };
      offsetBytes += lengthBytes;
    } while (offsetBytes < file.sizeBytes);
  }
}

function sleep(delay: RemoteCallOptions['retryDelay']): Promise<void> {
  if (delay === undefined || delay.delayMs <= 0) return Promise.resolve();
  return new Promise((resolve) => delay.clock.setTimer(delay.delayMs, resolve));
}

/** An RPC-level error name as a code (names we do not know are ERR_UNKNOWN). */
function remoteError(result: RpcCallResult, what: string): PegasusError | undefined {
  if (result.errorName === 'ERR_OK') return undefined;
  return new PegasusError(isErrorCode(result.errorName) ? result.errorName : 'ERR_UNKNOWN', `${what}: answered ${result.errorName}`);
}

/** Runs `attempt` until it succeeds, fails for good, or runs out of tries; then rejects with the failure's code. */
async function withRetries<T>(options: RemoteCallOptions, what: string, attempt: () => Promise<T>): Promise<T> {
  const attemptsMax = checkInteger(options.attemptsMax ?? COPY_ATTEMPTS_DEFAULT, 1, COPY_ATTEMPTS_MAX, 'attemptsMax');
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      if (!RETRYABLE.has(e.code) || n >= attemptsMax) {
        throw new PegasusError(e.code, `${what} from ${options.learnee} failed (attempt ${n} of ${attemptsMax})`, { cause: e });
      }
      await sleep(options.retryDelay);
    }
  }
}

/** `copy_request.source`: the node the file is on, as upstream's client fills it. */
function sourceAddress(learnee: RpcAddress): WireAddress {
  return toWireAddress(learnee);
}

async function fetchChunk(options: CopyCheckpointOptions, chunk: Chunk): Promise<Buffer> {
  const { gpid, decree } = options;
  const what = `${chunk.file.name} [${chunk.offsetBytes}, +${chunk.lengthBytes}) of ${formatGpid(gpid)} checkpoint.${decree}`;
  return withRetries(options, `copying ${what}`, async () => {
    const args = NFS_RPCS.RPC_NFS_COPY.encodeArgs({
      source: sourceAddress(options.learnee),
      sourceDir: formatCheckpointSourceDir(gpid, decree),
      dstDir: LEARN_DIR_NAME,
      fileName: chunk.file.name,
      offset: chunk.offsetBytes,
      size: chunk.lengthBytes,
      isLast: chunk.isLast,
      overwrite: true,
      pid: gpid,
    });
    const result = await options.channel.call(options.learnee, { name: 'RPC_NFS_COPY', gpid, partitionHash: 0n, args, timeoutMs: options.timeoutMs });
    const failure = remoteError(result, what);
    if (failure !== undefined) throw failure;
    if (result.result === undefined) throw new PegasusError('ERR_INVALID_DATA', `${what}: no response body`);
    const response = NFS_RPCS.RPC_NFS_COPY.decodeResponse(result.result, 0);
    if (response.error !== 'ERR_OK') throw new PegasusError(response.error, `${what}: ${response.error}`);
    // The manifest gave the size: a short or misplaced chunk means the file is not the one listed.
    if (response.offset !== chunk.offsetBytes || response.fileContent.length !== chunk.lengthBytes) {
      throw new PegasusError('ERR_INCOMPLETE_DATA', `${what}: got ${response.fileContent.length} bytes at ${response.offset}`);
    }
    return response.fileContent;
  });
}

/**
 * Copies the checkpoint `decree` of `gpid` from `learnee` into the storage's staging area (emptied first,
 * so nothing of an earlier round mixes in). Resolves with the bytes copied (learn `copy_file_bytes`); waits
 * for every request in flight before it rejects, so nothing is staged after it settles.
 */
export async function copyCheckpoint(options: CopyCheckpointOptions): Promise<number> {
  const chunkBytes = checkInteger(options.chunkBytes ?? COPY_CHUNK_BYTES_DEFAULT, 1, NFS_COPY_CHUNK_BYTES_MAX, 'chunkBytes');
  const concurrency = checkInteger(options.concurrency ?? COPY_CONCURRENCY_DEFAULT, 1, COPY_CONCURRENCY_MAX, 'concurrency');
  checkInteger(options.attemptsMax ?? COPY_ATTEMPTS_DEFAULT, 1, COPY_ATTEMPTS_MAX, 'attemptsMax');
  checkInteger(options.decree, 0, Number.MAX_SAFE_INTEGER, 'decree');
  checkFiles(options.files);
  await options.storage.discardStagedFiles(options.gpid);

  const chunks = chunksOf(options.files, chunkBytes);
  let copiedBytes = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      const next = chunks.next();
      if (next.done === true) return;
      const chunk = next.value;
      try {
        const content = await fetchChunk(options, chunk);
        await options.storage.stageLearnedFile(options.gpid, chunk.file.name, chunk.offsetBytes, content);
        copiedBytes += content.length;
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure !== undefined) throw failure.error;
  return copiedBytes;
}

/** The files of the learnee's checkpoint `decree` with their sizes, through RPC_NFS_GET_FILE_SIZE. */
export async function fetchCheckpointManifest(options: RemoteCallOptions): Promise<CheckpointFile[]> {
  const { gpid, decree } = options;
  const what = `the manifest of ${formatGpid(gpid)} checkpoint.${decree}`;
  return withRetries(options, `fetching ${what}`, async () => {
    const args = NFS_RPCS.RPC_NFS_GET_FILE_SIZE.encodeArgs({
      source: sourceAddress(options.learnee),
      dstDir: LEARN_DIR_NAME,
      fileList: [],
      sourceDir: formatCheckpointSourceDir(gpid, decree),
      overwrite: true,
      pid: gpid,
    });
    const result = await options.channel.call(options.learnee, {
      name: 'RPC_NFS_GET_FILE_SIZE',
      gpid,
      partitionHash: 0n,
      args,
      timeoutMs: options.timeoutMs,
    });
    const failure = remoteError(result, what);
    if (failure !== undefined) throw failure;
    if (result.result === undefined) throw new PegasusError('ERR_INVALID_DATA', `${what}: no response body`);
    const response = NFS_RPCS.RPC_NFS_GET_FILE_SIZE.decodeResponse(result.result, 0);
    const error = errorCodeFromI32(response.error);
    if (error !== 'ERR_OK') throw new PegasusError(error, `${what}: ${error}`);
    if (response.fileList.length !== response.sizeList.length || !response.fileList.every(isCheckpointFileName)) {
      throw new PegasusError('ERR_INVALID_DATA', `${what}: a malformed file list`);
    }
    const files = response.fileList.map((name, i) => ({ name, sizeBytes: response.sizeList[i]! }));
    try {
      checkFiles(files);
    } catch (e) {
      throw new PegasusError('ERR_INVALID_DATA', `${what}: ${(e as Error).message}`, { cause: e });
    }
    return files;
  });
}
