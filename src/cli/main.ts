/**
 * `pegasus <command>`: one executable for every role, as upstream's single binary with `-app_list`.
 * Roles that are not built yet answer with a clear ERR_NOT_IMPLEMENTED instead of pretending; their
 * configuration can already be checked and printed (`--print-config`).
 */
import { Command, Option } from 'commander';
import { isPegasusError } from '../base/error-code.ts';
import { describeProblem, formatEffectiveConfig, loadConfig, type PegasusConfig } from '../server/config/index.ts';
import { registerOneboxCommand } from '../onebox/onebox-command.ts';
import { startMetaServer } from '../server/meta/meta-main.ts';
import { startReplicaServer } from '../server/replica/replica-main.ts';
import { PACKAGE_VERSION } from '../server/version.ts';
import { registerShellCommand } from '../shell/shell-command.ts';
import { registerBenchCommand } from '../bench/bench-command.ts';

const program = new Command();
program
  .name('pegasus')
  .description('pegasus-ts: Apache Pegasus, the distributed key-value store, in TypeScript')
  .version(PACKAGE_VERSION, '-v, --version')
  .showHelpAfterError();

for (const role of ['meta', 'replica'] as const) {
  program
    .command(role)
    .description(role === 'meta' ? 'run a meta server' : 'run a replica server')
    .option('-c, --config <file>', 'the INI configuration file (upstream section and key names)')
    .addOption(new Option('--profile <profile>', 'defaults to start from').choices(['production', 'test']).default('production'))
    .option('--print-config', 'print the effective configuration and exit')
    .action(async (options: { config?: string; profile: 'production' | 'test'; printConfig?: boolean }) => {
      try {
        const { config, warnings } = loadConfig(options.config === undefined ? undefined : { path: options.config }, {
          role,
          profile: options.profile,
        });
        for (const warning of warnings) console.error(`warning: ${describeProblem(warning)}`);
        if (options.printConfig) {
          process.stdout.write(formatEffectiveConfig(config));
          return;
        }
        if (role === 'meta') await runMeta(config);
        else await runReplica(config);
      } catch (e) {
        if (!isPegasusError(e)) throw e;
        console.error(e.message);
        process.exitCode = 1;
      }
    });
}

/** Runs until SIGINT/SIGTERM, then closes cleanly; a lost lock ends the process, as upstream's meta does. */
async function runMeta(config: PegasusConfig): Promise<void> {
  const handle = await startMetaServer({
    config,
    onFatal: () => {
      process.exitCode = 1;
      void handle.close().finally(() => process.exit(1));
    },
  });
  await untilSignal();
  await handle.close();
}

async function runReplica(config: PegasusConfig): Promise<void> {
  const handle = await startReplicaServer({ config });
  await untilSignal();
  await handle.close();
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

registerOneboxCommand(program);

registerShellCommand(program);

registerBenchCommand(program);

await program.parseAsync(process.argv);
