/** MemMetaStore, the simulator's store, against the shared contract. */
import { MemMetaStore } from '../../src/metastore/mem-meta-store.ts';
import { metaStoreContract } from './meta-store-contract.ts';

metaStoreContract('MemMetaStore', async (limits) => new MemMetaStore(limits));
