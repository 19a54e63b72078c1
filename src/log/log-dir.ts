/**
 * The seam between the mutation log's decisions and the disk: a directory of log files. `NodeLogDir`
 * is the real file system; `MemLogDir` is the simulated disk, which can crash and inject faults.
 *
 * Failures are PegasusErrors: ERR_FILE_OPERATION_FAILED for I/O errors, ERR_DISK_INSUFFICIENT when the
 * disk is full (a write may then have landed partly), ERR_PATH_NOT_FOUND for a missing file.
 */

export interface LogDirEntry {
  name: string;
  sizeBytes: number;
  mtimeMs: number;
}

/** A file opened for appending, created by `LogDir.create`. */
export interface LogFileHandle {
  readonly name: string;
  /**
   * Appends the buffers, in order, at the end of the file; resolves once the OS has the bytes. One append at a
   * time: the next starts once this one resolved (the plog keeps one write outstanding).
   */
  append(buffers: readonly Buffer[]): Promise<void>;
  /** Makes every byte appended so far durable (fdatasync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface LogDir {
  /** Regular files of the directory, in no particular order. */
  list(): Promise<LogDirEntry[]>;
  /** Creates a new empty file; fails if the name exists (an existing log file is never overwritten). */
  create(name: string): Promise<LogFileHandle>;
  /** Reads `lengthBytes` (default: to the end) from `offsetBytes` (default 0); short at end of file. */
  read(name: string, offsetBytes?: number, lengthBytes?: number): Promise<Buffer>;
  /** Makes the file's bytes durable (fdatasync), for a file no handle of ours has open. */
  sync(name: string): Promise<void>;
  /** Cuts the file to `sizeBytes` and makes the cut durable before resolving. */
  truncate(name: string, sizeBytes: number): Promise<void>;
  remove(name: string): Promise<void>;
  /** Makes creations and removals of names in the directory durable (fsync of the directory). */
  syncDir(): Promise<void>;
}
