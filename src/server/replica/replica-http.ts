/**
 * The replica server's HTTP routes (pegasus-internals.md §6.3; same port as RPC, the RpcServer hands HTTP
 * connections here): GET /version and GET /replica/replicas (every hosted replica with its ballot, status and
 * decrees, plus the replicas that failed to load), as JSON.
 */
import { createServer, type Server } from 'node:http';
import { PartitionStatus } from '../../idl/replication.ts';
import type { ReplicaStub } from '../../replica/stub/replica-stub.ts';

const STATUS_NAMES = new Map<number, string>(Object.entries(PartitionStatus).map(([k, v]) => [v, k]));

export function createReplicaHttpServer(stubOf: () => ReplicaStub | undefined, version: string): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && path === '/version') return json(200, { Version: version });
    if (req.method !== 'GET' || path !== '/replica/replicas') return json(404, { error: `no route ${req.method} ${path}` });
    const stub = stubOf();
    if (stub === undefined) return json(503, { error: 'the replica server is not started' });
    return json(200, {
      replicas: stub.replicaInfos().map((r) => ({
        gpid: `${r.pid.appId}.${r.pid.partitionIndex}`,
        ballot: r.ballot,
        status: STATUS_NAMES.get(r.status) ?? String(r.status),
        last_committed_decree: r.lastCommittedDecree,
        last_prepared_decree: r.lastPreparedDecree,
        last_durable_decree: r.lastDurableDecree,
        disk_tag: r.diskTag,
      })),
      load_failures: stub.loadFailures,
      ...stub.stats,
    });
  });
}
