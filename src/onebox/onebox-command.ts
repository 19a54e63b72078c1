/**
 * `pegasus onebox start|run|stop|list|clear` on the CLI's commander program (architecture.md §8). Expected
 * failures are one line with an upstream error name; ERR_NOT_IMPLEMENTED (ZooKeeper, several metas) exits 2
 * like every "not available yet" answer of the CLI, other refusals exit 1.
 */
import type { Command } from 'commander';
import { isPegasusError } from '../base/error-code.ts';
import { clearOnebox, listOnebox, stopOnebox } from './onebox-admin.ts';
import { oneboxDirOf, planOnebox, type OneboxCliOptions } from './onebox-plan.ts';
import { runOnebox } from './onebox-run.ts';
import { startOnebox } from './onebox-start.ts';

const EXIT_NOT_IMPLEMENTED = 2;
const EXIT_FAILED = 1;

async function report(action: () => Promise<number> | number): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (e) {
    if (!isPegasusError(e)) throw e;
    console.error(e.message);
    process.exitCode = e.code === 'ERR_NOT_IMPLEMENTED' ? EXIT_NOT_IMPLEMENTED : EXIT_FAILED;
  }
}

function withDir(command: Command): Command {
  return command.option('--dir <path>', 'the onebox directory', './onebox');
}

function withClusterOptions(command: Command): Command {
  return withDir(command)
    .option('--meta-count <n>', 'meta servers (more than 1 needs ZooKeeper: not available yet)', '1')
    .option('--replica-server-count <n>', 'replica servers', '3')
    .option('--partition-count <n>', 'partitions of the table created on first start', '8')
    .option('--app-name <name>', 'the table created on first start', 'temp')
    .option('--max-replica-count <n>', 'replicas per partition of the table created on first start (default 3, or the replica server count if lower)')
    .option('--zk <host:port|local>', 'keep the metadata in ZooKeeper (not available yet)')
    .option('--wait-healthy', 'start: return only once every partition of the table has a primary and all its replicas (run reports it either way)')
    .option('--meta-port <port>', 'the meta server\'s port', '34601')
    .option('--replica-base-port <port>', 'the first replica server\'s port; the others follow', '34801');
}

export function registerOneboxCommand(program: Command): void {
  const onebox = program
    .command('onebox')
    .description('run a whole cluster on this machine (start|run|stop|list|clear), like upstream\'s run.sh start_onebox');
  withClusterOptions(onebox.command('start'))
    .description('start the cluster in the background; returns once every server answers (with --wait-healthy: once the table is whole)')
    .action((options: OneboxCliOptions) => report(() => startOnebox(planOnebox(options))));
  withClusterOptions(onebox.command('run'))
    .description('run the cluster in the foreground with its logs; Ctrl-C stops it')
    .action((options: OneboxCliOptions) => report(() => runOnebox(planOnebox(options))));
  withDir(onebox.command('stop'))
    .description('stop every process of the onebox (SIGTERM, then SIGKILL after a bound)')
    .action((options: Pick<OneboxCliOptions, 'dir'>) => report(() => stopOnebox(oneboxDirOf(options))));
  withDir(onebox.command('list'))
    .description('show the onebox\'s roles, ports, pids and whether they are alive')
    .action((options: Pick<OneboxCliOptions, 'dir'>) => report(() => listOnebox(oneboxDirOf(options))));
  withDir(onebox.command('clear'))
    .description('stop the onebox and remove its directory with all data')
    .action((options: Pick<OneboxCliOptions, 'dir'>) => report(() => clearOnebox(oneboxDirOf(options))));
}
