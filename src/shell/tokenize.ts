/**
 * Splitting what the operator typed: a script into command lines (`;` or newlines, as `-e "ls; nodes"`),
 * and a line into arguments. Quotes group words (`set hk sk "a value"`), a backslash escapes the next
 * character, and `\xNN` gives a raw byte as upstream's sdssplitargs does, so binary keys can be typed.
 * A `\xNN` byte is kept in the argument string as the private-use character U+F7NN, so typed text stays
 * text (UTF-8 on the wire) while escaped bytes stay exact bytes; `argBytes` gives the bytes sent.
 */

/** A syntax problem in a line (an unclosed quote): reported to the operator, never thrown past the runner. */
export class ShellSyntaxError extends Error {
  override name = 'ShellSyntaxError';
}

/** The command lines of a script: separators inside quotes do not split; empty lines and `#` comments drop. */
export function splitCommands(script: string): string[] {
  const lines: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (quote !== undefined) {
      current += ch;
      if (ch === '\\' && i + 1 < script.length) current += script[++i]!;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    if (ch === ';' || ch === '\n') {
      lines.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  lines.push(current);
  return lines.map((line) => line.trim()).filter((line) => line.length > 0 && !line.startsWith('#'));
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', a: '\x07', b: '\b' };

/** The arguments of one line. Throws ShellSyntaxError for an unclosed quote. */
export function tokenize(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let arg = '';
    let quote: string | undefined;
    let started = false;
    for (; i < line.length; i++) {
      const ch = line[i]!;
      if (quote === undefined && /\s/.test(ch)) break;
      started = true;
      if (quote === undefined && (ch === '"' || ch === "'")) {
        quote = ch;
        continue;
      }
      if (quote !== undefined && ch === quote) {
        quote = undefined;
        continue;
      }
      // Single quotes are literal except for \' (sdssplitargs' rule); double quotes and bare words escape.
      if (ch === '\\' && i + 1 < line.length && (quote !== "'" || line[i + 1] === "'")) {
        const next = line[i + 1]!;
        const hex = /^x([0-9a-fA-F]{2})/.exec(line.slice(i + 1));
        if (quote !== "'" && hex !== null) {
          arg += String.fromCharCode(RAW_BYTE_BASE + Number.parseInt(hex[1]!, 16));
          i += 3;
        } else {
          arg += quote !== "'" ? (ESCAPES[next] ?? next) : next;
          i += 1;
        }
        continue;
      }
      arg += ch;
    }
    if (quote !== undefined) throw new ShellSyntaxError(`unbalanced quotes in: ${line}`);
    if (started) args.push(arg);
  }
  return args;
}

const RAW_BYTE_BASE = 0xf700;

/** The bytes of an argument: text as UTF-8, `\xNN` escapes (U+F7NN) as the raw byte. */
export function argBytes(arg: string): Buffer {
  const parts: Buffer[] = [];
  let text = '';
  for (const ch of arg) {
    const code = ch.codePointAt(0)!;
    if (code >= RAW_BYTE_BASE && code <= RAW_BYTE_BASE + 0xff) {
      parts.push(Buffer.from(text, 'utf8'), Buffer.from([code - RAW_BYTE_BASE]));
      text = '';
    } else {
      text += ch;
    }
  }
  parts.push(Buffer.from(text, 'utf8'));
  return Buffer.concat(parts);
}
