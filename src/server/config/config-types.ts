/** The shape of a loaded configuration, shared by the loader, the printer and every server component. */
import type { DynamicValues } from './dynamic-sections.ts';
import type { HostPort } from './host-port.ts';
import type { ConfigProfile } from './profiles.ts';
import type { FixedValues } from './schema.ts';

export type ServerRole = 'meta' | 'replica';

/** Every effective value, by upstream section and key. */
export type ConfigValues = FixedValues & DynamicValues;

/** Where an effective value came from; precedence is default < profile < file. */
export type ValueOrigin = 'default' | 'profile' | 'file';

export interface DataDir {
  readonly tag: string;
  /** The disk's directory as configured; the replica stub appends upstream's `replica/reps`. */
  readonly path: string;
}

/** Values computed from several keys, so that every component derives them the same way. */
export interface DerivedConfig {
  /** The port this process listens on (RPC and HTTP): `[apps.<role>] ports`. */
  readonly port: number;
  readonly metaServers: readonly HostPort[];
  /** `[replication] data_dirs`, or one `default` dir at `[core] data_dir` when none is listed (as upstream). */
  readonly dataDirs: readonly DataDir[];
  /** This cluster's id in `[duplication-group]`, 1 when the group is empty (architecture.md §8). */
  readonly localClusterId: number;
}

export interface PegasusConfig {
  readonly role: ServerRole;
  readonly profile: ConfigProfile;
  /** The file read, or a name given with the text; undefined for pure defaults. */
  readonly sourceName: string | undefined;
  readonly values: ConfigValues;
  /** `origins[section][key]`; dynamic sections only list keys the file set. */
  readonly origins: Readonly<Record<string, Readonly<Record<string, ValueOrigin>>>>;
  readonly derived: DerivedConfig;
}
