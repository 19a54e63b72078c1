/**
 * The two small JSON files of a replica directory (contract; upstream replica_init.cpp / replica_app_info):
 * `.init-info` = {"ballot": B, "init_offset_in_private_log": 0}, written before the replica acts on a
 * higher ballot (pegasus-internals.md §2.2), and `.app-info` = the table's app_info with the thrift field
 * names the meta store uses. A file that does not parse is ERR_CORRUPTION: the stub moves the directory to
 * `.err` instead of serving from a replica whose identity it cannot trust.
 */
import { formatAppInfoJson, jsonFieldReader, parseAppInfoJson, parseJsonObjectText } from '../../idl/codec/app-info-json.ts';
import type { AppInfo } from '../../idl/meta.ts';

export interface InitInfo {
  /** The highest ballot this replica has accepted (persisted before acting on it). */
  ballot: number;
  /** Mutations below this plog offset are invalid (a learner reset its log); 0 in this issue. */
  initOffsetInPrivateLog: number;
}

export function formatInitInfo(info: InitInfo): string {
  return JSON.stringify({ ballot: info.ballot, init_offset_in_private_log: info.initOffsetInPrivateLog });
}

export function parseInitInfo(text: string, what: string): InitInfo {
  const obj = parseJsonObjectText(text, what);
  const read = jsonFieldReader(obj, what);
  const ballot = read.int('ballot');
  if (ballot < 0) throw read.bad('ballot');
  return { ballot, initOffsetInPrivateLog: read.int('init_offset_in_private_log') };
}

export function formatAppInfo(info: AppInfo): string {
  return formatAppInfoJson(info);
}

/** Parses `.app-info`; `appId` is the one the directory name says, which the file must agree with. */
export function parseAppInfo(text: string, appId: number, what: string): AppInfo {
  return parseAppInfoJson(text, appId, what);
}
