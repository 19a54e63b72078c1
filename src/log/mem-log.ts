/**
 * The plog on a simulated disk: `MemLog.open(memLogDir, options)`. The `MemLogDir` is the disk: it
 * outlives the log, so a test or the simulator crashes it (`crashProcess`, `crashMachine`) and opens a
 * new log on the same object to see what survived. The log sees the disk through `attach`, so once the
 * disk crashed the old log cannot touch it any more.
 */
import type { MemLogDir } from './mem-log-dir.ts';
import { MutationLog, type MutationLogOptions } from './mutation-log.ts';

export const MemLog = {
  open(dir: MemLogDir, options: MutationLogOptions): Promise<MutationLog> {
    return MutationLog.open(dir.attach(), options);
  },
};
