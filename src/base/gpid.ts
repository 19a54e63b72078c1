/** A partition's global id: the table (app) id and the partition index within it, upstream's `gpid`. */
export interface Gpid {
  appId: number;
  partitionIndex: number;
}

export function gpidEquals(a: Gpid, b: Gpid): boolean {
  return a.appId === b.appId && a.partitionIndex === b.partitionIndex;
}

/** Upstream's text form, `<app_id>.<partition_index>`, as in logs and replica directory names. */
export function formatGpid(gpid: Gpid): string {
  return `${gpid.appId}.${gpid.partitionIndex}`;
}
