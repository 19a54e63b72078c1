/**
 * Replay: read the log's files oldest first, one at a time, and hand each mutation to the replica in
 * log order (upstream's mutation_log::replay, incubator-pegasus: src/replica/mutation_log_replay.cpp).
 *
 * A file is skipped unread when it cannot hold a wanted mutation: every decree in it is below
 * `fromDecree` (known from the next file's header, as upstream's replay condition) or it ends before
 * `validStartOffset`. Every block read is checked. `open` already cut the torn tail, and a file is
 * read only up to the bytes the log accepted as its own, so here any block that is not intact is
 * ERR_CORRUPTION naming the file and offset; nothing is deleted.
 */
import { PegasusError } from '../base/error-code.ts';
import type { LogDir } from './log-dir.ts';
import { fileEndOffset, fileMaxDecree, type LogFileInfo } from './log-file-info.ts';
import { checkFileHeader, corruptionError, decodeBlockMutations, scanLogFile } from './log-file-scan.ts';
import type { Gpid, Mutation } from './mutation.ts';

export interface ReplayResult {
  /** Mutations handed to `onMutation`. */
  count: number;
  /** Mutations read but not handed over (below `fromDecree` or before `validStartOffset`). */
  skippedCount: number;
  /** Global offset just past the last intact block read. */
  endOffset: number;
  /** Max decree over the mutations read (and the headers of files skipped unread). */
  maxDecree: number;
  /** Max `lastCommittedDecree` over the mutations read. */
  lastCommittedDecree: number;
  /** Bytes of torn tail that `open` cut off the end of the log. */
  tornTailBytes: number;
}

export interface ReplayScope {
  fromDecree: number;
  validStartOffset: number;
  gpid: Gpid;
  /** The log's max decree, bounding what the newest file may hold. */
  logMaxDecree: number;
}

export async function replayLogFiles(
  dir: LogDir,
  files: readonly LogFileInfo[],
  scope: ReplayScope,
  onMutation: (mutation: Mutation) => void,
): Promise<ReplayResult> {
  const result: ReplayResult = {
    count: 0,
    skippedCount: 0,
    endOffset: files[0]?.startOffset ?? 0,
    maxDecree: 0,
    lastCommittedDecree: 0,
    tornTailBytes: 0,
  };
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const coveredMaxDecree = fileMaxDecree(files, i, scope.logMaxDecree);
    if (i < files.length - 1 && (coveredMaxDecree < scope.fromDecree || fileEndOffset(file) <= scope.validStartOffset)) {
      result.maxDecree = Math.max(result.maxDecree, coveredMaxDecree);
      result.endOffset = fileEndOffset(file);
      continue;
    }
    await replayFile(dir, file, scope, onMutation, result);
  }
  return result;
}

async function replayFile(
  dir: LogDir,
  file: LogFileInfo,
  scope: ReplayScope,
  onMutation: (mutation: Mutation) => void,
  result: ReplayResult,
): Promise<void> {
  const bytes = await dir.read(file.name, 0, file.sizeBytes);
  if (bytes.length < file.sizeBytes) {
    throw new PegasusError('ERR_INCOMPLETE_DATA', `${file.name} has ${bytes.length} of its ${file.sizeBytes} bytes`);
  }
  const scan = scanLogFile(bytes, file.name);
  if (scan.stop !== undefined) throw corruptionError(file.name, file.startOffset, scan.stop);
  if (scan.header === undefined) throw new PegasusError('ERR_CORRUPTION', `${file.name}: no intact header`);
  checkFileHeader(scan.header, file.name, file.startOffset, scope.gpid);
  result.maxDecree = Math.max(result.maxDecree, file.prevMaxDecree);
  for (const block of scan.blocks) {
    for (const m of decodeBlockMutations(bytes, block, file.name, file.startOffset, scope.gpid)) {
      result.maxDecree = Math.max(result.maxDecree, m.header.decree);
      result.lastCommittedDecree = Math.max(result.lastCommittedDecree, m.header.lastCommittedDecree);
      if (m.header.decree >= scope.fromDecree && m.header.logOffset >= scope.validStartOffset) {
        result.count++;
        onMutation(m);
      } else {
        result.skippedCount++;
      }
    }
  }
  result.endOffset = file.startOffset + scan.intactBytes;
}
