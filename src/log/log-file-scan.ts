/**
 * Reading a plog file's bytes: its header, its intact blocks, where they stop and why, and the
 * mutations inside a block. Pure functions over a Buffer; the callers decide what a stop means
 * (a torn tail at the end of the log, corruption anywhere else).
 */
import { isPegasusError, PegasusError } from '../base/error-code.ts';
import {
  decodeFileHeader,
  findBlockAfter,
  parseBlockAt,
  type FileHeader,
} from './log-block.ts';
import { decodeMutation, formatGpid, gpidEquals, type Gpid, type Mutation } from './mutation.ts';

export interface ScannedBlock {
  localOffset: number;
  bodyStart: number;
  bodyEnd: number;
}

/** Where and why the intact blocks stop before the end of the bytes. */
export interface ScanStop {
  localOffset: number;
  reason: string;
  /** Local offset of an intact block after the stop: when set, the stop is not a torn tail. */
  intactBlockAfter: number | undefined;
}

export interface ScannedFile {
  /** Undefined when the first block is not intact (then `stop` is at 0 and `blocks` is empty). */
  header: FileHeader | undefined;
  /** Intact blocks after the header block, in file order. */
  blocks: ScannedBlock[];
  /** Local offset just past the last intact block (header included). */
  intactBytes: number;
  stop: ScanStop | undefined;
}

/**
 * Walks the blocks of a file from offset 0. A first block that is intact but is not a file header is
 * ERR_INVALID_DATA: its crc matched, so the bytes were written that way and are not a torn write.
 */
export function scanLogFile(bytes: Buffer, fileName: string): ScannedFile {
  const first = parseBlockAt(bytes, 0);
  if (first.kind !== 'ok') {
    return { header: undefined, blocks: [], intactBytes: 0, stop: stopAt(bytes, 0, first.reason) };
  }
  const header = decodeFileHeader(bytes.subarray(first.bodyStart, first.bodyEnd));
  if (typeof header === 'string') throw new PegasusError('ERR_INVALID_DATA', `${fileName}: ${header}`);
  const blocks: ScannedBlock[] = [];
  let pos = first.bodyEnd;
  while (pos < bytes.length) {
    const block = parseBlockAt(bytes, pos);
    if (block.kind !== 'ok') return { header, blocks, intactBytes: pos, stop: stopAt(bytes, pos, block.reason) };
    blocks.push({ localOffset: pos, bodyStart: block.bodyStart, bodyEnd: block.bodyEnd });
    pos = block.bodyEnd;
  }
  return { header, blocks, intactBytes: pos, stop: undefined };
}

function stopAt(bytes: Buffer, localOffset: number, reason: string): ScanStop {
  return { localOffset, reason, intactBlockAfter: findBlockAfter(bytes, localOffset) };
}

/** The error for intact data after a bad block, or a bad block where no tail may be torn. */
export function corruptionError(fileName: string, fileStartOffset: number, stop: ScanStop): PegasusError {
  const after = stop.intactBlockAfter === undefined ? '' : `, intact block follows at ${stop.intactBlockAfter}`;
  return new PegasusError(
    'ERR_CORRUPTION',
    `${fileName} at local offset ${stop.localOffset} (global ${fileStartOffset + stop.localOffset}): ` +
      `${stop.reason}${after}`,
  );
}

/** Checks that a file header belongs to this file and this partition; returns the partition's entry. */
export function checkFileHeader(
  header: FileHeader,
  fileName: string,
  startOffset: number,
  gpid: Gpid,
): { prevMaxDecree: number; validStartOffset: number } {
  if (header.startOffset !== startOffset) {
    throw new PegasusError('ERR_INVALID_DATA', `${fileName}: header says start offset ${header.startOffset}`);
  }
  const entry = header.entries.find((e) => gpidEquals(e.gpid, gpid));
  if (entry === undefined) {
    throw new PegasusError('ERR_INVALID_DATA', `${fileName}: header has no entry for gpid ${formatGpid(gpid)}`);
  }
  return entry;
}

/**
 * Decodes every mutation of an intact block. Each must sit exactly at the global offset its header
 * records (upstream's replay checks the same) and belong to `gpid`; the block must hold whole
 * mutations. A failure is ERR_INVALID_DATA: the crc matched, so these are the bytes that were written.
 */
export function decodeBlockMutations(
  bytes: Buffer,
  block: ScannedBlock,
  fileName: string,
  fileStartOffset: number,
  gpid: Gpid,
): Mutation[] {
  const body = bytes.subarray(0, block.bodyEnd);
  const mutations: Mutation[] = [];
  let pos = block.bodyStart;
  while (pos < block.bodyEnd) {
    const globalOffset = fileStartOffset + pos;
    let decoded: { mutation: Mutation; bytes: number };
    try {
      decoded = decodeMutation(body, pos);
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      throw new PegasusError('ERR_INVALID_DATA', `${fileName} at global offset ${globalOffset}: ${e.message}`, {
        cause: e,
      });
    }
    const h = decoded.mutation.header;
    if (h.logOffset !== globalOffset) {
      throw new PegasusError(
        'ERR_INVALID_DATA',
        `${fileName}: mutation at global offset ${globalOffset} records log offset ${h.logOffset}`,
      );
    }
    if (!gpidEquals(h.gpid, gpid)) {
      throw new PegasusError(
        'ERR_INVALID_DATA',
        `${fileName}: mutation at global offset ${globalOffset} is of gpid ${formatGpid(h.gpid)}`,
      );
    }
    mutations.push(decoded.mutation);
    pos += decoded.bytes;
  }
  return mutations;
}
