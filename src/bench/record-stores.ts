/** Opens a load generator's connection to whichever system a ConnectionSpec names. */
import type { ConnectionSpec, RecordStore } from './bench-target.ts';
import { openPegasusStore } from './pegasus/pegasus-store.ts';
import { openEtcdStore } from './peers/etcd-store.ts';
import { openRedisStore } from './peers/redis-store.ts';

export function openRecordStore(spec: ConnectionSpec): Promise<RecordStore> {
  switch (spec.kind) {
    case 'pegasus':
      return openPegasusStore(spec);
    case 'etcd':
      return openEtcdStore(spec);
    case 'redis':
      return openRedisStore(spec);
  }
}
