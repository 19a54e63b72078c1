/**
 * `pegasus shell`: picks the mode and owns the session's resources. `-e "cmd; cmd"` and a non-TTY stdin
 * run a script and give exit code 1 when any command failed; a TTY gets the interactive REPL.
 */
import { isRpcAddress } from '../rpc/transport.ts';
import { TcpRpcChannel } from '../rpc/tcp/rpc-channel.ts';
import { ShellContext } from './context.ts';
import { defaultHistoryFile } from './history.ts';
import { runRepl } from './repl.ts';
import { runScript } from './runner.ts';

export const DEFAULT_CLUSTER = '127.0.0.1:34601';

export interface ShellOptions {
  /** Comma-separated meta servers. */
  cluster?: string;
  /** Commands to run instead of reading them. */
  execute?: string;
  /** Default ms per data operation. */
  timeoutMs?: number;
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream;
  historyFile?: string;
}

/** `127.0.0.1:34601,127.0.0.1:34602` → the list; throws a one-line Error for a bad address. */
export function parseCluster(text: string): string[] {
  const metas = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (metas.length === 0) throw new Error('--cluster lists no meta server');
  for (const meta of metas) if (!isRpcAddress(meta)) throw new Error(`--cluster: ${JSON.stringify(meta)} is not an IPv4 host:port`);
  return metas;
}

/** Returns the process exit code. */
export async function runShell(options: ShellOptions = {}): Promise<number> {
  const output = options.output ?? process.stdout;
  const input = options.input ?? process.stdin;
  const channel = new TcpRpcChannel();
  const ctx = new ShellContext(channel, parseCluster(options.cluster ?? DEFAULT_CLUSTER), { out: (text) => output.write(text) }, options.timeoutMs);
  try {
    if (options.execute !== undefined) return (await runScript(ctx, options.execute)) ? 0 : 1;
    if (input.isTTY !== true) return (await runScript(ctx, await readAll(input))) ? 0 : 1;
    await runRepl(ctx, { input, output, historyFile: options.historyFile ?? defaultHistoryFile() });
    return 0;
  } finally {
    await ctx.close();
    await channel.close();
  }
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
