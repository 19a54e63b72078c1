/**
 * The meta's HTTP routes (pegasus-internals.md §6.3; same port as RPC, the RpcServer hands HTTP
 * connections here): GET /version, /meta/apps, /meta/nodes, /meta/cluster, as JSON.
 */
import { createServer, type Server } from 'node:http';
import { AppStatus, NodeStatus, PatternMatchType } from '../../idl/meta.ts';
import { formatRpcAddress as formatWireAddress } from '../../idl/thrift/dsn.ts';
import type { MetaServer } from '../../meta/meta-server.ts';

const STATUS_NAMES = new Map<number, string>(Object.entries(AppStatus).map(([k, v]) => [v, k]));

/** `metaOf` gives the meta once it has started; before that the meta routes answer 503. */
export function createMetaHttpServer(metaOf: () => MetaServer | undefined, version: string): Server {
  const routes: Record<string, (meta: MetaServer) => unknown> = {
    '/meta/apps': (meta) =>
      meta.ddl.listApps({ status: AppStatus.AS_INVALID, matchType: PatternMatchType.PMT_MATCH_ALL }).infos.map((info) => ({
        app_id: info.appId,
        app_name: info.appName,
        status: STATUS_NAMES.get(info.status) ?? String(info.status),
        app_type: info.appType,
        partition_count: info.partitionCount,
        max_replica_count: info.maxReplicaCount,
        envs: Object.fromEntries(info.envs),
      })),
    '/meta/nodes': (meta) =>
      meta.listNodes({ status: NodeStatus.NS_INVALID }).infos.map((n) => ({
        address: formatWireAddress(n.node),
        status: n.status === NodeStatus.NS_ALIVE ? 'ALIVE' : 'UNALIVE',
      })),
    '/meta/cluster': (meta) => {
      const info = meta.clusterInfo();
      return Object.fromEntries(info.keys.map((k, i) => [k, info.values[i] ?? '']));
    },
  };
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Version: version }));
      return;
    }
    const route = routes[path];
    if (req.method !== 'GET' || route === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${req.method} ${path}` }));
      return;
    }
    const meta = metaOf();
    if (meta === undefined || !meta.status.started) {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'the meta server is not started' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(route(meta)));
  });
}
