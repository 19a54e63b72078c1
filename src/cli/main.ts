/**
 * `pegasus <command>`: one executable for every role, as upstream's single binary with `-app_list`.
 * Roles that are not built yet answer with a clear ERR_NOT_IMPLEMENTED instead of pretending.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command();
program
  .name('pegasus')
  .description('pegasus-ts: Apache Pegasus, the distributed key-value store, in TypeScript')
  .version(packageJson.version, '-v, --version')
  .showHelpAfterError();

const NOT_YET: Array<[string, string]> = [
  ['meta', 'run a meta server'],
  ['replica', 'run a replica server'],
  ['onebox', 'run a whole cluster on this machine (start|run|stop|list|clear)'],
  ['shell', 'the interactive operator shell'],
  ['bench', 'the YCSB-style load generator'],
];

for (const [name, description] of NOT_YET) {
  program
    .command(name)
    .description(`${description} (not available yet)`)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      console.error(`ERR_NOT_IMPLEMENTED: \`pegasus ${name}\` is not available yet; this build has the storage engine and the mutation log only`);
      process.exitCode = 2;
    });
}

await program.parseAsync(process.argv);
