/** The shape of one shell command: its name, upstream's synopsis, its flags and what it does. */
import type { FlagSpec, ParsedArgs } from './args.ts';
import type { ShellContext } from './context.ts';

export interface ShellCommand {
  readonly name: string;
  /** One line, as upstream's help. */
  readonly help: string;
  /** Upstream's option synopsis, e.g. `<app_name> [-d|--detailed] [-j|--json]`. */
  readonly usage: string;
  readonly flags: readonly FlagSpec[];
  run(ctx: ShellContext, args: ParsedArgs): Promise<void>;
}
