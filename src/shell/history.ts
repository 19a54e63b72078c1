/**
 * The history file (`~/.pegasus_shell_history`): one command per line, oldest first, bounded so it never
 * grows without limit. A missing or unreadable file is an empty history, not an error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const HISTORY_SIZE_MAX = 1000;

export function defaultHistoryFile(): string {
  return join(homedir(), '.pegasus_shell_history');
}

/** Oldest first. */
export function loadHistory(file: string): string[] {
  try {
    return boundHistory(readFileSync(file, 'utf8').split('\n'));
  } catch {
    return [];
  }
}

export function saveHistory(file: string, lines: readonly string[]): void {
  try {
    writeFileSync(file, boundHistory(lines).join('\n') + '\n', { mode: 0o600 });
  } catch {
    // A read-only home must not break the shell; the history is a convenience.
  }
}

/** Drops empty lines and consecutive repeats, keeps the newest HISTORY_SIZE_MAX. */
export function boundHistory(lines: readonly string[], max = HISTORY_SIZE_MAX): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '' || out[out.length - 1] === trimmed) continue;
    out.push(trimmed);
  }
  return out.slice(-max);
}
