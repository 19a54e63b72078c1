/**
 * Running command lines against a ShellContext: tokenize, find the command, parse its flags, run it, and
 * turn any failure into one printed line. `runScript` is the `-e` / stdin mode: every command runs (as
 * upstream's shell does), and the result says whether any failed, for the exit code.
 */
import { parseArgs, UsageError } from './args.ts';
import { findCommand } from './commands.ts';
import type { ShellContext } from './context.ts';
import { describeError } from './errors.ts';
import { splitCommands, tokenize } from './tokenize.ts';

/** Runs one line; true when it succeeded (an empty line succeeds). Never throws. */
export async function runLine(ctx: ShellContext, line: string): Promise<boolean> {
  let argv: string[];
  try {
    argv = tokenize(line);
  } catch (e) {
    ctx.out(describeError(e));
    return false;
  }
  const [name, ...rest] = argv;
  if (name === undefined) return true;
  const command = findCommand(name);
  if (command === undefined) {
    ctx.out(`ERROR: unknown command ${JSON.stringify(name)}; type "help" for the list`);
    return false;
  }
  try {
    await command.run(ctx, parseArgs(rest, command.flags));
    return true;
  } catch (e) {
    ctx.out(describeError(e));
    if (e instanceof UsageError) ctx.out(`USAGE: ${command.name} ${command.usage}`.trimEnd());
    return false;
  }
}

/** Runs every command of a script in order, until `exit`; true when all succeeded. */
export async function runScript(ctx: ShellContext, script: string): Promise<boolean> {
  let ok = true;
  for (const line of splitCommands(script)) {
    if (!(await runLine(ctx, line))) ok = false;
    if (ctx.exitRequested) break;
  }
  return ok;
}
