/** Values every component needs but that no single key holds (called after invariants.ts passed). */
import type { ConfigValues, DataDir, DerivedConfig, ServerRole } from './config-types.ts';
import { parseHostPort, type HostPort } from './host-port.ts';

function hostPorts(items: readonly string[]): HostPort[] {
  return items.map(parseHostPort).filter((hp): hp is HostPort => typeof hp !== 'string');
}

function dataDirs(values: ConfigValues): DataDir[] {
  if (values.replication.data_dirs.length === 0) return [{ tag: 'default', path: values.core.data_dir }];
  return values.replication.data_dirs.map((item) => {
    const [tag, path] = item.split(':');
    return { tag: tag!.trim(), path: path!.trim() };
  });
}

export function deriveConfig(values: ConfigValues, role: ServerRole): DerivedConfig {
  const group = values['duplication-group'];
  return {
    port: role === 'meta' ? values['apps.meta'].ports : values['apps.replica'].ports,
    metaServers: hostPorts(values.meta_server.server_list),
    dataDirs: dataDirs(values),
    localClusterId: group[values.replication.cluster_name] ?? 1,
  };
}
