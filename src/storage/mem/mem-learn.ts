/**
 * Learning a MemStore checkpoint (LT_APP) on in-memory disks, shared by the simulator's storage and the
 * tests' fake: the learnee serves checkpoint `<dataDir>/checkpoint.<decree>` as one file, `image` (see
 * mem-image-codec.ts); the learner stages the chunks it receives in a `MemStagedFiles`, then decodes and
 * checks the image before it replaces anything.
 */
import { PegasusError } from '../../base/error-code.ts';
import {
  MEM_CHECKPOINT_IMAGE_FILE,
  checkCheckpointFileName,
  checkReadRange,
  checkStageRange,
  type CheckpointFile,
} from '../checkpoint-files.ts';
import { META_KEY_LAST_FLUSHED_DECREE } from '../partition-store.ts';
import type { DurableImage, MemDisk } from './mem-disk.ts';
import { decodeDurableImage, encodeDurableImage } from './mem-image-codec.ts';

/** Staged bytes of one replica, all files together: the simulator's images are small, memory is not free. */
export const MEM_STAGED_BYTES_MAX = 1024 * 1024 * 1024;
/** Staged files of one replica: a MemStore checkpoint is one file; a few more are tolerated, no more. */
export const MEM_STAGED_FILES_MAX = 64;

function checkpointImage(disk: MemDisk, checkpointPath: string): DurableImage {
  const image = disk.get(checkpointPath);
  if (image === undefined) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `no checkpoint at ${checkpointPath}`);
  return image;
}

/** The one file of the checkpoint at `checkpointPath`; ERR_OBJECT_NOT_FOUND when there is none. */
export function memCheckpointManifest(disk: MemDisk, checkpointPath: string): CheckpointFile[] {
  return [{ name: MEM_CHECKPOINT_IMAGE_FILE, sizeBytes: encodeDurableImage(checkpointImage(disk, checkpointPath)).length }];
}

/**
 * Up to `lengthBytes` of the checkpoint's file `name` from `offsetBytes` (short at its end). A name other
 * than `image` or an offset past the end is ERR_INVALID_PARAMETERS; a missing checkpoint ERR_OBJECT_NOT_FOUND.
 */
export function readMemCheckpointFile(disk: MemDisk, checkpointPath: string, name: string, offsetBytes: number, lengthBytes: number): Buffer {
  checkCheckpointFileName(name);
  checkReadRange(offsetBytes, lengthBytes);
  const bytes = encodeDurableImage(checkpointImage(disk, checkpointPath));
  if (name !== MEM_CHECKPOINT_IMAGE_FILE) throw new PegasusError('ERR_INVALID_PARAMETERS', `${name} is not in the checkpoint at ${checkpointPath}`);
  if (offsetBytes > bytes.length) throw new PegasusError('ERR_INVALID_PARAMETERS', `offset ${offsetBytes} is past the end of ${name} (${bytes.length} bytes)`);
  // A copy: the caller may keep or change it; the cached encoding must stay as it is.
  return Buffer.from(bytes.subarray(offsetBytes, Math.min(bytes.length, offsetBytes + lengthBytes)));
}

interface StagedFile {
  bytes: Buffer;
  /** Bytes in use; `bytes` may be longer (room to grow without copying on every chunk). */
  length: number;
}

/** The learner's staging area of one replica (upstream's `learn/` directory), bounded in files and bytes. */
export class MemStagedFiles {
  private readonly files = new Map<string, StagedFile>();
  private totalBytes = 0;

  /** Writes `bytes` at `offsetBytes` of `name`, creating it; chunks may arrive in any order. */
  stage(name: string, offsetBytes: number, bytes: Buffer): void {
    checkCheckpointFileName(name);
    checkStageRange(offsetBytes, bytes.length, MEM_STAGED_BYTES_MAX);
    let file = this.files.get(name);
    if (file === undefined) {
      if (this.files.size >= MEM_STAGED_FILES_MAX) throw new PegasusError('ERR_INVALID_PARAMETERS', `more than ${MEM_STAGED_FILES_MAX} staged files`);
      file = { bytes: Buffer.alloc(0), length: 0 };
      this.files.set(name, file);
    }
    const end = offsetBytes + bytes.length;
    const grownBytes = Math.max(0, end - file.length);
    if (this.totalBytes + grownBytes > MEM_STAGED_BYTES_MAX) {
      throw new PegasusError('ERR_INVALID_PARAMETERS', `staging ${name} would hold more than ${MEM_STAGED_BYTES_MAX} bytes`);
    }
    if (end > file.bytes.length) {
      const grown = Buffer.alloc(Math.min(MEM_STAGED_BYTES_MAX, Math.max(end, file.bytes.length * 2)));
      file.bytes.copy(grown, 0, 0, file.length);
      file.bytes = grown;
    }
    bytes.copy(file.bytes, offsetBytes);
    file.length += grownBytes;
    this.totalBytes += grownBytes;
  }

  /** The staged bytes of `name` (a copy), or undefined. */
  read(name: string): Buffer | undefined {
    const file = this.files.get(name);
    return file === undefined ? undefined : Buffer.from(file.bytes.subarray(0, file.length));
  }

  names(): string[] {
    return [...this.files.keys()].sort();
  }

  clear(): void {
    this.files.clear();
    this.totalBytes = 0;
  }
}

/**
 * The staged checkpoint as an image, checked: it decodes, and it is the checkpoint at `decree` (its
 * flushed decree is `decree`, so a store opened on it starts exactly there). Nothing staged is
 * ERR_OBJECT_NOT_FOUND; anything else wrong ERR_LOCAL_APP_FAILURE, upstream's name for a failed
 * apply_checkpoint.
 */
export function learnedMemImage(staged: MemStagedFiles, decree: number, nowMs: number): DurableImage {
  const bytes = staged.read(MEM_CHECKPOINT_IMAGE_FILE);
  if (bytes === undefined) throw new PegasusError('ERR_OBJECT_NOT_FOUND', 'no checkpoint image staged');
  let image: DurableImage;
  try {
    image = decodeDurableImage(bytes, nowMs);
  } catch (e) {
    throw new PegasusError('ERR_LOCAL_APP_FAILURE', 'the staged checkpoint image does not decode', { cause: e });
  }
  const flushed = image.meta.get(META_KEY_LAST_FLUSHED_DECREE);
  if (flushed !== String(decree)) {
    throw new PegasusError('ERR_LOCAL_APP_FAILURE', `the staged checkpoint is at decree ${flushed ?? 'none'}, not ${decree}`);
  }
  return image;
}
