/** What the log knows about one of its files, without reading it. */
export interface LogFileInfo {
  index: number;
  name: string;
  /** Global offset of the file's first byte. */
  startOffset: number;
  /** Bytes of the file that are part of the log (written and acknowledged, or found intact at open). */
  sizeBytes: number;
  /** From the file header: the max decree written before this file. */
  prevMaxDecree: number;
  mtimeMs: number;
}

/** The public view of a file, as `MutationLog.files()` returns it. */
export interface LogFileView extends LogFileInfo {
  /** Global offset just past the file's last byte. */
  endOffset: number;
}

export function fileEndOffset(file: LogFileInfo): number {
  return file.startOffset + file.sizeBytes;
}

/**
 * The highest decree file `i` can hold: the next file's header says what was written before it; the
 * newest file is bounded only by the log's own max decree.
 */
export function fileMaxDecree(files: readonly LogFileInfo[], i: number, logMaxDecree: number): number {
  return files[i + 1]?.prevMaxDecree ?? logMaxDecree;
}
