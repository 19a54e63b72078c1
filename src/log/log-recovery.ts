/**
 * What `MutationLog.open` does to a directory before the first append: find the log files, check that
 * they form one continuous log, and cut off a torn tail so new appends never follow garbage.
 *
 * Only the newest file with an intact header is read whole (it is where a crash leaves a torn tail);
 * older files have their header read and their size checked against the next file's start offset.
 * Their blocks are checked by `replay`. Upstream reads everything at open because its open is its
 * replay; splitting them keeps startup to about one read of the log (only the newest file twice).
 *
 * A torn tail is: the bytes after the last intact block of the newest file, when no intact block
 * follows them, plus any newer files without an intact header (created just before the crash). Both
 * hold nothing that was written whole, so they are removed. Anything else that is not intact is
 * reported, never deleted.
 */
import { PegasusError } from '../base/error-code.ts';
import {
  BLOCK_HEADER_BYTES,
  decodeFileHeader,
  fileHeaderBodyBytes,
  LOG_FILE_BYTES_MAX,
  parseBlockAt,
  parseLogFileName,
} from './log-block.ts';
import type { LogDir } from './log-dir.ts';
import { fileEndOffset, type LogFileInfo } from './log-file-info.ts';
import { checkFileHeader, corruptionError, decodeBlockMutations, scanLogFile } from './log-file-scan.ts';
import type { Gpid } from './mutation.ts';

export interface RecoveredLog {
  files: LogFileInfo[];
  /** Index of the file the next append creates. */
  nextIndex: number;
  /** Global offset where the next file starts. */
  endOffset: number;
  /** Max decree found: exact for the newest file, from headers for older ones. */
  maxDecree: number;
  /** Max last-committed decree seen in the newest file; `replay` refines it. */
  maxCommittedDecree: number;
  tornTailBytes: number;
  /** Names in the directory that are not log files; left alone. */
  ignoredNames: string[];
}

interface Candidate {
  name: string;
  index: number;
  startOffset: number;
  sizeBytes: number;
  mtimeMs: number;
}

/** Headers are tiny; the bound keeps a corrupt length from reading a whole file as a header. */
const HEADER_BLOCK_BYTES_MAX = BLOCK_HEADER_BYTES + fileHeaderBodyBytes(1024);

export async function recoverLogDir(dir: LogDir, gpid: Gpid): Promise<RecoveredLog> {
  const { candidates, ignoredNames } = await listCandidates(dir);

  // The newest file with an intact header is the log's last file; newer ones are torn and go.
  const tornFiles: Candidate[] = [];
  let last: LastFile | undefined;
  while (candidates.length > 0 && last === undefined) {
    const c = candidates.pop()!;
    last = await readLastFile(dir, c, gpid);
    if (last === undefined) tornFiles.push(c);
  }

  const files: LogFileInfo[] = [];
  for (const c of candidates) files.push({ ...c, prevMaxDecree: await readPrevMaxDecree(dir, c, gpid) });
  if (last !== undefined) files.push(last.file);
  checkContinuity(files);

  // Only now that everything checked out, cut the torn tail, newest first, so that a crash in the middle
  // of this leaves a directory that this same procedure recovers.
  let tornTailBytes = 0;
  for (const t of tornFiles) {
    await dir.remove(t.name);
    tornTailBytes += t.sizeBytes;
  }
  if (tornFiles.length > 0) await dir.syncDir();
  if (last !== undefined && last.file.sizeBytes < last.diskBytes) {
    await dir.truncate(last.file.name, last.file.sizeBytes);
    tornTailBytes += last.diskBytes - last.file.sizeBytes;
  } else if (last !== undefined) {
    // The last file may hold bytes a crashed process wrote but never synced. New files will follow it,
    // and the writer syncs each file before starting the next, so that a machine crash only ever loses
    // a suffix of the log; this sync is that rule applied to the file the previous process left open.
    await dir.sync(last.file.name);
  }

  const oldestTorn = tornFiles[tornFiles.length - 1];
  return {
    files,
    nextIndex: last !== undefined ? last.file.index + 1 : (oldestTorn?.index ?? 1),
    endOffset: last !== undefined ? fileEndOffset(last.file) : (oldestTorn?.startOffset ?? 0),
    maxDecree: last?.maxDecree ?? 0,
    maxCommittedDecree: last?.maxCommittedDecree ?? 0,
    tornTailBytes,
    ignoredNames,
  };
}

interface LastFile {
  /** `sizeBytes` is the intact part. */
  file: LogFileInfo;
  diskBytes: number;
  maxDecree: number;
  maxCommittedDecree: number;
}

/** Reads a candidate for the last file whole; undefined when it has no intact header (a torn file). */
async function readLastFile(dir: LogDir, c: Candidate, gpid: Gpid): Promise<LastFile | undefined> {
  const bytes = await dir.read(c.name, 0, c.sizeBytes);
  const scan = scanLogFile(bytes, c.name);
  if (scan.stop?.intactBlockAfter !== undefined) throw corruptionError(c.name, c.startOffset, scan.stop);
  if (scan.header === undefined) return undefined;
  const { prevMaxDecree } = checkFileHeader(scan.header, c.name, c.startOffset, gpid);
  let maxDecree = prevMaxDecree;
  let maxCommittedDecree = 0;
  for (const block of scan.blocks) {
    for (const m of decodeBlockMutations(bytes, block, c.name, c.startOffset, gpid)) {
      maxDecree = Math.max(maxDecree, m.header.decree);
      maxCommittedDecree = Math.max(maxCommittedDecree, m.header.lastCommittedDecree);
    }
  }
  const file = { ...c, sizeBytes: scan.intactBytes, prevMaxDecree };
  return { file, diskBytes: bytes.length, maxDecree, maxCommittedDecree };
}

/** Log files by index, checked for duplicate and missing indexes; other names are ignored. */
async function listCandidates(dir: LogDir): Promise<{ candidates: Candidate[]; ignoredNames: string[] }> {
  const candidates: Candidate[] = [];
  const ignoredNames: string[] = [];
  for (const entry of await dir.list()) {
    const parsed = parseLogFileName(entry.name);
    if (parsed === undefined) {
      ignoredNames.push(entry.name);
      continue;
    }
    if (entry.sizeBytes > LOG_FILE_BYTES_MAX) {
      throw new PegasusError('ERR_INVALID_DATA', `${entry.name}: ${entry.sizeBytes} bytes is too big for a log file`);
    }
    candidates.push({ ...parsed, name: entry.name, sizeBytes: entry.sizeBytes, mtimeMs: entry.mtimeMs });
  }
  candidates.sort((a, b) => a.index - b.index);
  for (let i = 1; i < candidates.length; i++) {
    const prev = candidates[i - 1]!;
    const c = candidates[i]!;
    if (c.index === prev.index) {
      throw new PegasusError('ERR_INVALID_DATA', `${prev.name} and ${c.name} have the same index`);
    }
    if (c.index !== prev.index + 1) {
      throw new PegasusError('ERR_INCOMPLETE_DATA', `log files ${prev.index + 1}..${c.index - 1} are missing`);
    }
  }
  ignoredNames.sort();
  return { candidates, ignoredNames };
}

async function readPrevMaxDecree(dir: LogDir, c: Candidate, gpid: Gpid): Promise<number> {
  const bytes = await dir.read(c.name, 0, Math.min(c.sizeBytes, HEADER_BLOCK_BYTES_MAX));
  const block = parseBlockAt(bytes, 0);
  if (block.kind !== 'ok') {
    const stop = { localOffset: 0, reason: `header block: ${block.reason}`, intactBlockAfter: undefined };
    throw corruptionError(c.name, c.startOffset, stop);
  }
  const header = decodeFileHeader(bytes.subarray(block.bodyStart, block.bodyEnd));
  if (typeof header === 'string') throw new PegasusError('ERR_INVALID_DATA', `${c.name}: ${header}`);
  return checkFileHeader(header, c.name, c.startOffset, gpid).prevMaxDecree;
}

/** Each file must end exactly where the next one starts: the log has one address space, no holes. */
function checkContinuity(files: readonly LogFileInfo[]): void {
  for (let i = 1; i < files.length; i++) {
    const prev = files[i - 1]!;
    const next = files[i]!;
    const end = fileEndOffset(prev);
    if (end < next.startOffset) {
      throw new PegasusError(
        'ERR_INCOMPLETE_DATA',
        `${prev.name} ends at global offset ${end} but ${next.name} starts at ${next.startOffset}`,
      );
    }
    if (end > next.startOffset) {
      throw new PegasusError(
        'ERR_CORRUPTION',
        `${prev.name} runs to global offset ${end}, past the start of ${next.name}`,
      );
    }
  }
}
