/**
 * Profiles: `production` is upstream's shipped defaults; `test` shortens timers so process tests (a onebox
 * killing and restarting servers) finish in seconds instead of minutes. The test profile keeps every
 * relationship that invariants.ts checks (beacon < lease < grace, ...). A value in the INI file still wins
 * over the profile: precedence is default < profile < file.
 */
import type { FixedValues, SectionName } from './schema.ts';

export const CONFIG_PROFILES = ['production', 'test'] as const;
export type ConfigProfile = (typeof CONFIG_PROFILES)[number];

export type ProfileOverrides = { readonly [S in SectionName]?: Partial<FixedValues[S]> };

export const TEST_PROFILE: ProfileOverrides = {
  meta_server: {
    // A dropped secondary is replaced after 3 s, not 10 min, so a kill test sees the cure.
    replica_assign_delay_ms_for_dropouts: 3000,
    // A restarted server is not held back as "unstable" for 10 min.
    stable_rs_min_running_seconds: 0,
  },
  replication: {
    // Failure detection within ~4 s: beacon 1 s, lease 3 s, grace 4 s (lease < grace keeps the
    // guarantee that a replica server stops serving before the meta gives its primaries away).
    fd_check_interval_seconds: 1,
    fd_beacon_interval_seconds: 1,
    fd_lease_seconds: 3,
    fd_grace_seconds: 4,
    group_check_interval_ms: 1000,
    // As upstream's onebox: a one-replica table accepts writes (the shipped 2 would refuse them).
    mutation_2pc_min_replica_count: 1,
    checkpoint_interval_seconds: 5,
    config_sync_interval_ms: 1000,
    // The cure runs every second, so a partition is healed soon after a node is declared dead.
    lb_interval_ms: 1000,
  },
};

export const PROFILE_OVERRIDES: Readonly<Record<ConfigProfile, ProfileOverrides>> = {
  production: {},
  test: TEST_PROFILE,
};
