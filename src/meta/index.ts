/** The meta server's decision logic (architecture.md §2: `meta/`), wired to the world through a MetaEnv. */
export { MetaServer, CLUSTER_INFO_KEYS, type MetaServerStatus } from './meta-server.ts';
export {
  META_GUARDIAN_DEFAULTS,
  META_LIMITS_DEFAULT,
  type MetaEnv,
  type MetaLimits,
  type MetaLogger,
  type MetaNetwork,
  type MetaServerConfig,
} from './meta-env.ts';
export type { PartitionConfig } from './partition-config.ts';
export { HealthStatus, HEALTH_STATUS_NAMES, partitionHealth } from './partition-guardian.ts';
export { mutation2pcMinReplicaCount } from '../replica/replica-env.ts';
