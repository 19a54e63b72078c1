/**
 * The two small JSON files of a replica directory (contract; upstream replica_init.cpp / replica_app_info):
 * `.init-info` = {"ballot": B, "data_ballot": D, "init_offset_in_private_log": 0}, written before the replica
 * acts on a higher ballot (pegasus-internals.md §2.2) and when it first holds data or a role at a newer
 * ballot (`data_ballot`, ours: see Replica.dataBallot), and `.app-info` = the table's app_info with the thrift field
 * names the meta store uses. A file that does not parse is ERR_CORRUPTION: the stub moves the directory to
 * `.err` instead of serving from a replica whose identity it cannot trust.
 */
import { formatAppInfoJson, jsonFieldReader, parseAppInfoJson, parseJsonObjectText } from '../../idl/codec/app-info-json.ts';
import type { AppInfo } from '../../idl/meta.ts';

export interface InitInfo {
  /** The highest ballot this replica has accepted (persisted before acting on it). */
  ballot: number;
  /** The newest ballot it held data of or served at (≤ ballot). */
  dataBallot: number;
  /** Mutations below this plog offset are invalid (a learner reset its log); 0 in this issue. */
  initOffsetInPrivateLog: number;
}

export function formatInitInfo(info: InitInfo): string {
  return JSON.stringify({ ballot: info.ballot, data_ballot: info.dataBallot, init_offset_in_private_log: info.initOffsetInPrivateLog });
}

export function parseInitInfo(text: string, what: string): InitInfo {
  const obj = parseJsonObjectText(text, what);
  const read = jsonFieldReader(obj, what);
  const ballot = read.int('ballot');
  if (ballot < 0) throw read.bad('ballot');
  // Files written before data_ballot existed: the ballot is the best bound there is.
  const dataBallot = obj.data_ballot === undefined ? ballot : read.int('data_ballot');
  if (dataBallot < 0 || dataBallot > ballot) throw read.bad('data_ballot');
  return { ballot, dataBallot, initOffsetInPrivateLog: read.int('init_offset_in_private_log') };
}

export function formatAppInfo(info: AppInfo): string {
  return formatAppInfoJson(info);
}

/** Parses `.app-info`; `appId` is the one the directory name says, which the file must agree with. */
export function parseAppInfo(text: string, appId: number, what: string): AppInfo {
  return parseAppInfoJson(text, appId, what);
}
