/** `host:port` items of `server_list`, `hosts_list` and `[pegasus.clusters]` (upstream's `host_port::from_string`). */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^([A-Za-z0-9._-]+):(\d{1,5})$/;

/** The parsed address, or why the text is not one. */
export function parseHostPort(text: string): HostPort | string {
  const match = HOST_PORT.exec(text);
  if (match === null) return `'${text}' is not host:port`;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `port of '${text}' is outside 1..65535`;
  return { host: match[1]!, port };
}

export function checkHostPort(text: string): string | undefined {
  const parsed = parseHostPort(text);
  return typeof parsed === 'string' ? parsed : undefined;
}
