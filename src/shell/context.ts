/**
 * What one shell session holds between commands: the meta list, the admin client, the data client, the
 * current table (`use`), and where output goes. Commands print only through `out`, so tests capture it.
 */
import { PegasusClient } from '../client/index.ts';
import type { Table } from '../client/index.ts';
import type { RpcChannel } from '../rpc/transport.ts';
import { AdminClient } from './admin-client.ts';
import { UsageError } from './args.ts';

export interface ShellOutput {
  out(text: string): void;
}

export class ShellContext {
  readonly admin: AdminClient;
  private client: PegasusClient;
  currentApp: string | undefined;
  /** upstream's `escape_all`: print every non-ASCII byte as \xNN, not as UTF-8 text. */
  escapeAll = false;
  /** upstream's `timeout`: per data operation, in ms. */
  timeoutMs: number;
  /** Set by `exit`/`quit`: the runner stops reading commands. */
  exitRequested = false;

  constructor(
    private readonly channel: RpcChannel,
    readonly metaServers: readonly string[],
    readonly output: ShellOutput,
    timeoutMs = 5000,
  ) {
    this.timeoutMs = timeoutMs;
    this.admin = new AdminClient(channel, metaServers);
    this.client = this.newClient();
  }

  out(text: string): void {
    this.output.out(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** The `use`d table, opened (and cached) by the data client. */
  async table(): Promise<Table> {
    if (this.currentApp === undefined) throw new UsageError('no table selected: run "use <app_name>" first');
    return this.client.openTable(this.currentApp, { timeoutMs: this.timeoutMs });
  }

  /** A table by name, through the data client (used by `use` to check that it exists). */
  openTable(name: string): Promise<Table> {
    return this.client.openTable(name, { timeoutMs: this.timeoutMs });
  }

  /**
   * After a DDL command a cached table handle may describe a table that no longer exists or changed, so
   * the data client starts over (the connections stay: they belong to the shared channel).
   */
  async forgetTables(): Promise<void> {
    const old = this.client;
    this.client = this.newClient();
    await old.close();
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private newClient(): PegasusClient {
    return PegasusClient.create({ metaServers: [...this.metaServers], channel: this.channel, timeoutMs: this.timeoutMs });
  }
}
