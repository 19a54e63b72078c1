/**
 * Output shapes, pure: aligned tables (upstream's table_printer: a header row, columns padded to the
 * widest cell, two spaces apart), key-value blocks, and byte escaping for keys and values (upstream's
 * c_escape: printable ASCII as is, everything else `\xNN`), so binary data never garbles the terminal.
 */

export type Cell = string | number | boolean | bigint;

/** Rows under a header, each column as wide as its widest cell; numbers align right. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => cellText(row[c]).length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((row) => isNumeric(row[c])));
  const line = (cells: readonly string[], isHeader: boolean) =>
    cells
      .map((cell, c) => {
        const width = widths[c] ?? cell.length;
        const last = c === cells.length - 1;
        if (numeric[c] === true && !isHeader) return cell.padStart(width);
        return last ? cell : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const out = [line(header, true), ...rows.map((row) => line(header.map((_, c) => cellText(row[c])), false))];
  return out.join('\n') + '\n';
}

/** `key : value` lines with the keys padded, as upstream's cluster_info and detail blocks. */
export function formatPairs(pairs: ReadonlyArray<readonly [string, Cell]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)} : ${cellText(v)}`.trimEnd()).join('\n') + (pairs.length > 0 ? '\n' : '');
}

/** Pretty JSON with a final newline; bigints become strings (JSON has no 64-bit integers). */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}

function cellText(cell: Cell | undefined): string {
  return cell === undefined ? '' : String(cell);
}

function isNumeric(cell: Cell | undefined): boolean {
  return typeof cell === 'number' || typeof cell === 'bigint';
}

/**
 * Bytes for display: printable ASCII as is, `"` and `\` escaped (so the text can be pasted back into a
 * quoted argument), anything else `\xNN`. With `escapeAll` false, valid UTF-8 text is shown as text.
 */
export function escapeBytes(bytes: Uint8Array, escapeAll = false): string {
  if (!escapeAll) {
    const text = Buffer.from(bytes).toString('utf8');
    // A round trip proves the bytes were valid UTF-8; control characters still get escaped below.
    if (Buffer.from(text, 'utf8').equals(Buffer.from(bytes))) {
      return [...text].map((ch) => (ch.codePointAt(0)! < 0x20 || ch === '\x7f' ? hex(ch.codePointAt(0)!) : escapeAscii(ch))).join('');
    }
  }
  let out = '';
  for (const byte of bytes) out += byte >= 0x20 && byte < 0x7f ? escapeAscii(String.fromCharCode(byte)) : hex(byte);
  return out;
}

function escapeAscii(ch: string): string {
  return ch === '"' || ch === '\\' ? `\\${ch}` : ch;
}

function hex(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, '0')}`;
}

/** A data row as upstream prints it: `"hk" : "sk" => "value"`. */
export function formatRecord(hashKey: Uint8Array, sortKey: Uint8Array, value: Uint8Array | undefined, escapeAll = false): string {
  const keys = `"${escapeBytes(hashKey, escapeAll)}" : "${escapeBytes(sortKey, escapeAll)}"`;
  return value === undefined ? keys : `${keys} => "${escapeBytes(value, escapeAll)}"`;
}

/** Seconds since the Unix epoch as `2026-11-24 10:55:43` (UTC), 0 as `-`. */
export function formatEpochSeconds(seconds: number): string {
  if (seconds <= 0) return '-';
  return new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

/** Milliseconds since the Unix epoch as `2026-11-24 10:55:43.123` (UTC, as upstream's time_ms_to_string but UTC), 0 as `-`. */
export function formatEpochMs(ms: number): string {
  if (ms <= 0) return '-';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}
