/** The `pegasus shell` subcommand's options (upstream's `--cluster`), wired into the CLI's commander program. */
import type { Command } from 'commander';
import { DEFAULT_CLUSTER, runShell } from './main.ts';

export function registerShellCommand(program: Command): void {
  program
    .command('shell')
    .description('the interactive operator shell (commands as upstream pegasus_shell; "help" lists them)')
    .option('--cluster <metas>', 'meta servers, comma separated', DEFAULT_CLUSTER)
    .option('-e, --execute <commands>', 'run these commands (separated by ";" or newlines) and exit; non-zero if one failed')
    .option('-t, --timeout <ms>', 'default timeout of each data operation in ms', '5000')
    .action(async (options: { cluster: string; execute?: string; timeout: string }) => {
      const timeoutMs = Number(options.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        console.error(`ERROR: --timeout ${JSON.stringify(options.timeout)} must be a positive whole number of ms`);
        process.exitCode = 2;
        return;
      }
      try {
        process.exitCode = await runShell({ cluster: options.cluster, timeoutMs, ...(options.execute === undefined ? {} : { execute: options.execute }) });
      } catch (e) {
        console.error(`ERROR: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 2;
      }
    });
}
