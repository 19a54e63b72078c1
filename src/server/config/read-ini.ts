/**
 * INI text → flat `(section, key, value)` entries, parsed by the `ini` package. `ini` nests dotted section
 * names (`[pegasus.server]` becomes `{pegasus: {server: ...}}`) and keeps no line numbers, so this file
 * flattens the tree back to upstream's section names and finds each key's line for error messages.
 */
import ini from 'ini';

export interface IniEntry {
  readonly section: string;
  readonly key: string;
  /** The value as text (`ini` turns `true`/`false`/`null` into JS values; they are turned back). */
  readonly text: string;
  /** 1-based line of the key's last occurrence (the one `ini` keeps), when found. */
  readonly line: number | undefined;
}

export interface IniDocument {
  readonly entries: readonly IniEntry[];
  /** Every section header seen, with its line, including empty sections. */
  readonly sections: ReadonlyMap<string, number>;
  /** Keys written more than once in one section: `ini` keeps the last. */
  readonly repeated: readonly IniEntry[];
}

const SECTION_LINE = /^\s*\[([^\]]*)\]\s*$/;
const KEY_LINE = /^\s*([^=;#[\s][^=]*?)\s*=/;

function entryId(section: string, key: string): string {
  return `${section}\u0000${key}`;
}

/** Where each key is written, scanning lines the way `ini` does (comments start with ; or #). */
function locate(text: string): { lines: Map<string, number[]>; sections: Map<string, number> } {
  const lines = new Map<string, number[]>();
  const sections = new Map<string, number>();
  let section = '';
  text.split(/\r?\n|\r/).forEach((raw, index) => {
    const header = SECTION_LINE.exec(raw);
    if (header !== null) {
      section = header[1]!.trim();
      if (!sections.has(section)) sections.set(section, index + 1);
      return;
    }
    const key = KEY_LINE.exec(raw);
    if (key === null) return;
    const id = entryId(section, key[1]!.trim());
    lines.set(id, [...(lines.get(id) ?? []), index + 1]);
  });
  return { lines, sections };
}

function asText(value: unknown): string {
  if (Array.isArray(value)) return value.map(asText).join(',');
  if (value === null) return 'null';
  return String(value);
}

function isSection(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readIni(text: string): IniDocument {
  const tree: Record<string, unknown> = ini.parse(text);
  const located = locate(text);
  const entries: IniEntry[] = [];
  const repeated: IniEntry[] = [];
  const walk = (node: Record<string, unknown>, path: readonly string[]): void => {
    for (const [key, value] of Object.entries(node)) {
      if (isSection(value)) {
        walk(value, [...path, key]);
        continue;
      }
      const section = path.join('.');
      const seen = located.lines.get(entryId(section, key)) ?? [];
      const entry: IniEntry = { section, key, text: asText(value), line: seen.at(-1) };
      entries.push(entry);
      if (seen.length > 1) repeated.push(entry);
    }
  };
  walk(tree, []);
  return { entries, sections: located.sections, repeated };
}
