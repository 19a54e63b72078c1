/**
 * app_info in the store (contract: `<root>/apps/<app_id>` holds it as JSON), with upstream's thrift field
 * names as its ZooKeeper layout uses them (`app_info` is written with the thrift JSON-ish names there).
 */
import { formatAppInfoJson, parseAppInfoJson } from '../idl/codec/app-info-json.ts';
import type { AppInfo } from '../idl/meta.ts';

export function appInfoToJson(info: AppInfo): Buffer {
  return Buffer.from(formatAppInfoJson(info));
}

export function appInfoFromJson(data: Buffer, appId: number): AppInfo {
  return parseAppInfoJson(data.toString('utf8'), appId, `meta store: app ${appId}`);
}

export function cloneAppInfo(info: AppInfo, changes: Partial<AppInfo> = {}): AppInfo {
  return { ...info, envs: new Map(info.envs), ...changes };
}
