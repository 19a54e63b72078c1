/** The mutation log layer's public surface. */
export { FileLog } from './file-log.ts';
export type { LogDir, LogDirEntry, LogFileHandle } from './log-dir.ts';
export type { LogFileView } from './log-file-info.ts';
export { LOG_DEFAULTS } from './log-options.ts';
export { MemLog } from './mem-log.ts';
export { MemLogDir, type CrashMachineOptions, type MemLogDirOptions, type MemLogDirStats } from './mem-log-dir.ts';
export {
  MutationLog,
  type AppendResult,
  type GarbageCollectOptions,
  type GarbageCollectResult,
  type MutationLogOptions,
  type ReplayResult,
} from './mutation-log.ts';
export {
  decodeMutation,
  encodedMutationBytes,
  encodeMutation,
  formatGpid,
  gpidEquals,
  validateMutation,
  type Gpid,
  type Mutation,
  type MutationHeader,
  type MutationUpdate,
} from './mutation.ts';
export { NodeLogDir } from './node-log-dir.ts';
