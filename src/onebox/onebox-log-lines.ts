/**
 * How `pegasus onebox run` shows its children's logs: each line prefixed with the role, so the interleaved
 * output of several processes stays readable. On a terminal the pino JSON lines are rendered by pino-pretty
 * (as a server on a terminal does itself); elsewhere they pass through unchanged, still one JSON object per
 * line after the prefix, so they can be piped to a file and grepped.
 */
import pretty from 'pino-pretty';

const COLOURS = ['\u001b[36m', '\u001b[33m', '\u001b[35m', '\u001b[32m', '\u001b[34m', '\u001b[31m'];
const RESET = '\u001b[0m';

export interface LineFormatter {
  (role: string, line: string): string;
}

export function createLineFormatter(options: { readonly pretty: boolean; readonly colour: boolean; readonly roles: readonly string[] }): LineFormatter {
  const width = Math.max(...options.roles.map((r) => r.length));
  const render = options.pretty
    ? pretty.prettyFactory({ colorize: options.colour, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,role', singleLine: true })
    : undefined;
  return (role, line) => {
    const index = options.roles.indexOf(role);
    const label = role.padEnd(width);
    const prefix = options.colour ? `${COLOURS[index % COLOURS.length] ?? ''}${label}${RESET} | ` : `${label} | `;
    let body = line;
    if (render !== undefined) {
      try {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === 'object' && parsed !== null) body = String(render(parsed)).trimEnd();
      } catch {
        // not a log line (a crash trace, a warning): shown as it is
      }
    }
    return `${prefix}${body}`;
  };
}
