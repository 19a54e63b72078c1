/** The meta's MetaServerConfig from a loaded PegasusConfig (the meta layer cannot import server/config). */
import type { MetaServerConfig } from '../../meta/meta-env.ts';
import type { PegasusConfig } from '../config/index.ts';

export function metaServerConfigOf(config: PegasusConfig, selfAddress: string): MetaServerConfig {
  const { meta_server: meta, replication, zookeeper } = config.values;
  return {
    selfAddress,
    clusterRoot: meta.cluster_root,
    metaServers: meta.server_list,
    clusterName: replication.cluster_name,
    zookeeperHosts: zookeeper.hosts_list,
    functionLevel: meta.meta_function_level_on_start,
    fdDisabled: replication.fd_disabled,
    fdCheckIntervalSeconds: replication.fd_check_interval_seconds,
    fdGraceSeconds: replication.fd_grace_seconds,
    lbIntervalMs: replication.lb_interval_ms,
    holdSecondsForDroppedApp: meta.hold_seconds_for_dropped_app,
    minAllowedReplicaCount: meta.min_allowed_replica_count,
    maxAllowedReplicaCount: meta.max_allowed_replica_count,
    replicaAssignDelayMsForDropouts: meta.replica_assign_delay_ms_for_dropouts,
    mutation2pcMinReplicaCount: replication.mutation_2pc_min_replica_count,
    maxReservedDroppedReplicas: meta.max_reserved_dropped_replicas,
    addSecondaryEnableFlowControl: meta.add_secondary_enable_flow_control,
    addSecondaryMaxCountForOneNode: meta.add_secondary_max_count_for_one_node,
  };
}
