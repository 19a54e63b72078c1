/**
 * Tab completion, pure: the first word completes to command names, the argument of a command that takes
 * a table name (use, app, drop, rename) to table names. Returns readline's `[candidates, word]` shape.
 */
import { commandNames } from './commands.ts';

/** Commands whose first positional is a table name. */
const TABLE_ARG_COMMANDS = new Set(['use', 'app', 'drop', 'rename', 'app_disk']);

export function complete(line: string, tableNames: readonly string[]): [string[], string] {
  const words = line.split(/\s+/);
  const word = words[words.length - 1] ?? '';
  const leading = line.trimStart();
  if (!/\s/.test(leading)) {
    const hits = commandNames().filter((name) => name.startsWith(word));
    return [hits, word];
  }
  const command = leading.split(/\s+/)[0] ?? '';
  const positionalIndex = words.filter((w) => w !== '').length - (word === '' ? 0 : 1);
  if (TABLE_ARG_COMMANDS.has(command) && positionalIndex === 1 && !word.startsWith('-')) {
    return [tableNames.filter((name) => name.startsWith(word)), word];
  }
  return [[], word];
}

/** The prompt shows the current table, as pegic's and upstream's `use` make it matter. */
export function promptFor(currentApp: string | undefined): string {
  return currentApp === undefined ? 'pegasus » ' : `pegasus [${currentApp}] » `;
}
