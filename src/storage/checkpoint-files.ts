/**
 * The files of a checkpoint as learning copies them between nodes (LT_APP, pegasus-internals.md §2.8 and
 * §4.3): which names a learnee may serve and a learner may stage, and the bounds every ReplicaStorage
 * applies. A name is one plain path component, so neither side can be led outside the checkpoint or the
 * staging directory, whatever a peer sends.
 */
import { PegasusError } from '../base/error-code.ts';

/** One file of a checkpoint, by its name inside the checkpoint. */
export interface CheckpointFile {
  name: string;
  sizeBytes: number;
}

/** The learner's staging directory inside its replica directory (upstream's `learn/`). */
export const LEARN_DIR_NAME = 'learn';

/** A MemStore checkpoint travels as this one file, the serialized DurableImage (mem/mem-image-codec.ts). */
export const MEM_CHECKPOINT_IMAGE_FILE = 'image';

/** File names longer than this are refused (the usual file-system limit). */
export const CHECKPOINT_FILE_NAME_BYTES_MAX = 255;

/** One read of a checkpoint file returns at most this; the copy service asks for less (its own bound). */
export const CHECKPOINT_READ_BYTES_MAX = 16 * 1024 * 1024;

/**
 * A staged file may not grow past this. RocksDB cuts SST files at `target_file_size_base` (64 MiB in
 * upstream's config), so a far larger offset is a bug or a hostile peer, not a checkpoint.
 */
export const LEARN_FILE_BYTES_MAX = 64 * 1024 * 1024 * 1024;

/** A checkpoint with more files than this is refused rather than copied (RocksDB keeps far fewer). */
export const CHECKPOINT_FILES_MAX = 100_000;

/**
 * RocksDB's own names (`CURRENT`, `MANIFEST-000005`, `000012.sst`, `OPTIONS-000007`) and the MemStore's
 * `image`: letters, digits, `.`, `_`, `-`, not starting with a dot or dash, so `.`, `..` and anything with a
 * separator, a NUL or a drive prefix cannot pass.
 */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export function isCheckpointFileName(name: string): boolean {
  return name.length <= CHECKPOINT_FILE_NAME_BYTES_MAX && FILE_NAME.test(name);
}

/** ERR_INVALID_PARAMETERS unless `name` is one safe path component. */
export function checkCheckpointFileName(name: string): void {
  if (!isCheckpointFileName(name)) throw new PegasusError('ERR_INVALID_PARAMETERS', `${JSON.stringify(name.slice(0, 300))} is not a checkpoint file name`);
}

function isByteCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** ERR_INVALID_PARAMETERS for a read range that is negative, fractional or longer than one read may be. */
export function checkReadRange(offsetBytes: number, lengthBytes: number): void {
  if (!isByteCount(offsetBytes) || !isByteCount(lengthBytes) || lengthBytes > CHECKPOINT_READ_BYTES_MAX) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `read of ${lengthBytes} bytes at ${offsetBytes}: out of range`);
  }
}

/** ERR_INVALID_PARAMETERS for a staged write that would reach past `fileBytesMax`. */
export function checkStageRange(offsetBytes: number, lengthBytes: number, fileBytesMax = LEARN_FILE_BYTES_MAX): void {
  if (!isByteCount(offsetBytes) || !isByteCount(lengthBytes) || offsetBytes + lengthBytes > fileBytesMax) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `staged write of ${lengthBytes} bytes at ${offsetBytes}: beyond ${fileBytesMax} bytes`);
  }
}
