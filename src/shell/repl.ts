/**
 * The interactive mode on a TTY: node:readline with a prompt showing the current table, the bounded
 * history file, and tab completion of command and table names. Ctrl-D (or `exit`) ends it; Ctrl-C clears
 * the line while typing and ends the shell on an empty line, as a terminal user expects.
 */
import { createInterface } from 'node:readline';
import { AppStatus } from '../idl/meta.ts';
import { complete, promptFor } from './completion.ts';
import type { ShellContext } from './context.ts';
import { loadHistory, saveHistory, HISTORY_SIZE_MAX } from './history.ts';
import { runLine } from './runner.ts';

export interface ReplOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  historyFile: string;
}

export async function runRepl(ctx: ShellContext, options: ReplOptions): Promise<void> {
  const past = loadHistory(options.historyFile);
  let tableNames: string[] = [];
  const refreshTables = async () => {
    try {
      tableNames = (await ctx.admin.listApps(AppStatus.AS_AVAILABLE)).map((a) => a.appName).sort();
    } catch {
      // Completion is best effort: a down meta must not print errors while the user types.
    }
  };
  await refreshTables();
  const rl = createInterface({
    input: options.input,
    output: options.output,
    terminal: true,
    // readline wants the newest first.
    history: [...past].reverse(),
    historySize: HISTORY_SIZE_MAX,
    removeHistoryDuplicates: true,
    completer: (line: string) => complete(line, tableNames),
  });
  const session: string[] = [];
  ctx.out('Pegasus Shell (pegasus-ts)\nType "help" for more information.\nType "Ctrl-D" or "exit" to exit the shell.\n');
  try {
    rl.setPrompt(promptFor(ctx.currentApp));
    rl.prompt();
    for await (const line of rl) {
      if (line.trim() !== '') session.push(line);
      rl.pause();
      await runLine(ctx, line);
      if (ctx.exitRequested) break;
      if (/^\s*(create|drop|recall|rename)\b/.test(line)) await refreshTables();
      rl.setPrompt(promptFor(ctx.currentApp));
      rl.resume();
      rl.prompt();
    }
  } finally {
    rl.close();
    saveHistory(options.historyFile, [...past, ...session]);
  }
}
