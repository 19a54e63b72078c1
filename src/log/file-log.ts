/** The plog on the real file system: `FileLog.open('<replica dir>/plog', options)`. */
import { MutationLog, type MutationLogOptions } from './mutation-log.ts';
import { NodeLogDir } from './node-log-dir.ts';

export const FileLog = {
  /** Opens (creating if missing) the log directory `dirPath`; see `MutationLog.open`. */
  async open(dirPath: string, options: MutationLogOptions): Promise<MutationLog> {
    return MutationLog.open(await NodeLogDir.open(dirPath), options);
  },
};
