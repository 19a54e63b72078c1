/**
 * The meta's memory of the cluster's tables (upstream's `server_state`): app_info and partition
 * configurations by app id, and the next app id. It changes only after the store has the change
 * (pegasus-internals.md §9 item 4); callers write first, then call the `apply*` methods here.
 */
import { assert } from '../base/assert.ts';
import { PegasusError } from '../base/error-code.ts';
import { AppStatus, type AppInfo } from '../idl/meta.ts';
import type { MetaStateStore } from '../metastore/meta-state-store.ts';
import { appInfoFromJson } from './app-info-json.ts';
import { gpidKey, partitionConfigFromJson, parseJsonObject, type PartitionConfig } from './partition-config.ts';

export interface AppState {
  readonly info: AppInfo;
  /** Indexed by partition index. */
  readonly partitions: PartitionConfig[];
}

/** The store paths of the contract's layout. */
export class MetaPaths {
  constructor(readonly root: string) {}
  get apps(): string {
    return `${this.root}/apps`;
  }
  get meta(): string {
    return `${this.root}/meta`;
  }
  app(appId: number): string {
    return `${this.apps}/${appId}`;
  }
  partition(appId: number, partitionIndex: number): string {
    return `${this.app(appId)}/${partitionIndex}`;
  }
}

export function nextAppIdJson(nextAppId: number): Buffer {
  return Buffer.from(JSON.stringify({ next_app_id: nextAppId }));
}

export class ServerState {
  readonly apps = new Map<number, AppState>();
  nextAppId = 1;

  constructor(readonly paths: MetaPaths) {}

  /** The app a name refers to: the one not dropped (a dropped app keeps its name but frees it). */
  appByName(name: string): AppState | undefined {
    for (const app of this.apps.values()) if (app.info.appName === name && app.info.status !== AppStatus.AS_DROPPED) return app;
    return undefined;
  }

  partition(appId: number, partitionIndex: number): PartitionConfig | undefined {
    return this.apps.get(appId)?.partitions[partitionIndex];
  }

  applyApp(info: AppInfo, partitions?: PartitionConfig[]): void {
    const existing = this.apps.get(info.appId);
    const parts = partitions ?? existing?.partitions;
    assert(parts !== undefined && parts.length === info.partitionCount, `app ${info.appId}: partitions do not match partition_count`);
    this.apps.set(info.appId, { info, partitions: parts });
  }

  applyPartition(pc: PartitionConfig): void {
    const app = this.apps.get(pc.appId);
    assert(app !== undefined && pc.partitionIndex < app.partitions.length, `partition ${gpidKey(pc.appId, pc.partitionIndex)} has no app`);
    app.partitions[pc.partitionIndex] = pc;
  }

  /** Every partition whose primary or secondary is `node`. */
  partitionsServedBy(node: string): Array<{ app: AppState; pc: PartitionConfig }> {
    const out: Array<{ app: AppState; pc: PartitionConfig }> = [];
    for (const app of this.apps.values()) {
      for (const pc of app.partitions) if (pc.primary === node || pc.secondaries.includes(node)) out.push({ app, pc });
    }
    return out;
  }
}

/** Creates each missing ancestor of `path` and `path` itself (empty data). */
async function ensurePath(store: MetaStateStore, path: string): Promise<void> {
  let prefix = '';
  for (const part of path.split('/').filter((p) => p !== '')) {
    prefix += `/${part}`;
    if (!(await store.exists(prefix))) await store.createNode(prefix);
  }
}

/** Loads the state from the store, creating the layout on an empty store (`fresh`: it had no `<root>/meta`). */
export async function loadServerState(store: MetaStateStore, root: string): Promise<{ state: ServerState; fresh: boolean }> {
  const paths = new MetaPaths(root);
  const state = new ServerState(paths);
  await ensurePath(store, paths.apps);
  const fresh = !(await store.exists(paths.meta));
  if (fresh) {
    await store.createNode(paths.meta, nextAppIdJson(1));
    return { state, fresh };
  }
  const meta = parseJsonObject(await store.getData(paths.meta), 'meta');
  const next = meta.next_app_id;
  if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 1) throw new PegasusError('ERR_CORRUPTION', 'meta store: bad next_app_id');
  state.nextAppId = next;
  for (const name of await store.getChildren(paths.apps)) {
    const appId = Number(name);
    if (!/^\d+$/.test(name) || appId < 1) throw new PegasusError('ERR_CORRUPTION', `meta store: ${paths.apps}/${name} is not an app id`);
    const info = appInfoFromJson(await store.getData(paths.app(appId)), appId);
    const partitions: PartitionConfig[] = [];
    for (let pidx = 0; pidx < info.partitionCount; pidx++) {
      partitions.push(partitionConfigFromJson(await store.getData(paths.partition(appId, pidx)), appId, pidx));
    }
    state.applyApp(info, partitions);
    // An id at or above the counter would be handed out twice; the counter is written with every create.
    if (appId >= state.nextAppId) throw new PegasusError('ERR_CORRUPTION', `meta store: app ${appId} is not below next_app_id ${state.nextAppId}`);
  }
  return { state, fresh };
}

