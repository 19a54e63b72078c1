/**
 * Tells a Thrift connection from an HTTP one by its first bytes (architecture.md §1: RPC and HTTP share one
 * port, as upstream). Four bytes decide: `THFT` is the request magic (protocol.md §1.1); HTTP requests start
 * with a method name. Anything else is refused as soon as the bytes so far cannot begin either, so a stray
 * client is dropped on its first byte rather than after four.
 */

export const SNIFF_BYTES = 4;

export type ConnectionKind = 'thrift' | 'http' | 'unknown';

const THRIFT_PREFIX = 'THFT';
/** Four-byte prefixes of the HTTP methods a client of our routes may send. */
const HTTP_PREFIXES = ['GET ', 'POST', 'PUT ', 'HEAD', 'DELE', 'OPTI', 'PATC'];

/**
 * The connection's kind from its first bytes, or undefined while fewer than four bytes are in and they are
 * still a prefix of some known start.
 */
export function sniffConnection(head: Buffer): ConnectionKind | undefined {
  const text = head.subarray(0, SNIFF_BYTES).toString('latin1');
  if (text.length >= SNIFF_BYTES) {
    if (text === THRIFT_PREFIX) return 'thrift';
    return HTTP_PREFIXES.includes(text) ? 'http' : 'unknown';
  }
  const candidates = [THRIFT_PREFIX, ...HTTP_PREFIXES];
  return candidates.some((prefix) => prefix.startsWith(text)) ? undefined : 'unknown';
}
