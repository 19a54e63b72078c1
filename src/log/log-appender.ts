/**
 * Lays out appended mutations into blocks and files before they are written: upstream's log_appender
 * plus the offset bookkeeping of mark_new_offset. The global offset of a mutation is fixed the moment
 * it is appended, so the layout must be decided then: which block it joins, and whether that block
 * starts a new file. Pure bookkeeping; the bytes are built by `buildSegment` when a write takes them.
 *
 * Rules: a block's body stays within `blockBodyBytesMax` unless one mutation alone is larger (it gets a
 * block to itself); a file rolls when the next block would take it past `fileSizeBytesMax`, unless the
 * file has no data block yet (so one huge mutation still lands somewhere). A block handed to a write is
 * final: later mutations start a new block.
 */
import { crc32 } from 'node:zlib';
import { assert } from '../base/assert.ts';
import {
  BLOCK_HEADER_BYTES,
  BLOCK_MAGIC,
  encodeBlock,
  encodeFileHeader,
  FILE_HEADER_VERSION,
  fileHeaderBodyBytes,
  logFileName,
  type FileHeader,
} from './log-block.ts';
import type { Gpid } from './mutation.ts';

interface PendingBlock {
  localOffset: number;
  /** Laid out. */
  bodyBytes: number;
  /** Filled in; equals `bodyBytes` once `fill` followed every `place`. */
  filledBytes: number;
  mutations: Buffer[];
}

/** The bytes one write puts at the end of one file. */
export interface PendingSegment {
  fileIndex: number;
  fileName: string;
  fileStartOffset: number;
  /** Set when this segment creates its file (its first block is this header). */
  newFileHeader: FileHeader | undefined;
  /** Local offset in the file where the segment's bytes go. */
  localOffset: number;
  blocks: PendingBlock[];
  sizeBytes: number;
}

interface TailFile {
  index: number;
  name: string;
  startOffset: number;
  /** Bytes laid out in the file so far, written or pending. */
  sizeBytes: number;
  hasDataBlock: boolean;
}

export interface AppenderLimits {
  gpid: Gpid;
  validStartOffset: number;
  fileSizeBytesMax: number;
  blockBodyBytesMax: number;
}

const HEADER_BLOCK_BYTES = BLOCK_HEADER_BYTES + fileHeaderBodyBytes(1);

export class LogAppender {
  private segments: PendingSegment[] = [];
  private openBlock: PendingBlock | undefined;
  /** The file new blocks go to; undefined until the first block after open (a new file, as upstream). */
  private tail: TailFile | undefined;
  private pending = 0;

  constructor(
    private readonly limits: AppenderLimits,
    private nextIndex: number,
    private end: number,
  ) {}

  /** Global offset just past everything laid out, written or pending. */
  endOffset(): number {
    return this.end;
  }

  pendingBytes(): number {
    return this.pending;
  }

  /**
   * Lays out a mutation of `mutationBytes` encoded bytes and returns its global offset; `fill` must
   * follow with the bytes. `prevMaxDecree` is the max decree laid out before it, recorded in the header
   * if this mutation opens a new file.
   */
  place(mutationBytes: number, prevMaxDecree: number): number {
    const block = this.openBlock;
    const tail = this.tail;
    if (
      block === undefined || tail === undefined ||
      block.bodyBytes + mutationBytes > this.limits.blockBodyBytesMax ||
      tail.sizeBytes + mutationBytes > this.limits.fileSizeBytesMax
    ) {
      this.startBlock(mutationBytes, prevMaxDecree);
    }
    const offset = this.end;
    this.openBlock!.bodyBytes += mutationBytes;
    this.grow(mutationBytes);
    return offset;
  }

  /** Fills in the bytes of the mutation just placed (its offset had to be known to encode it). */
  fill(mutation: Buffer): void {
    const block = this.openBlock;
    assert(block !== undefined, 'fill without a placed mutation');
    block.mutations.push(mutation);
    block.filledBytes += mutation.length;
    assert(block.filledBytes === block.bodyBytes, 'filled mutation size differs from the placed size');
  }

  /** Hands every pending segment to a write; the blocks in them are final. */
  take(): PendingSegment[] {
    const taken = this.segments;
    this.segments = [];
    this.openBlock = undefined;
    this.pending = 0;
    return taken;
  }

  private startBlock(mutationBytes: number, prevMaxDecree: number): void {
    const blockBytes = BLOCK_HEADER_BYTES + mutationBytes;
    const tail = this.tail;
    if (tail === undefined || (tail.hasDataBlock && tail.sizeBytes + blockBytes > this.limits.fileSizeBytesMax)) {
      this.startFile(prevMaxDecree);
    } else if (this.segments.at(-1)?.fileIndex !== tail.index) {
      this.segments.push(this.segmentFor(tail, undefined));
    }
    const file = this.tail!;
    const block: PendingBlock = { localOffset: file.sizeBytes, bodyBytes: 0, filledBytes: 0, mutations: [] };
    this.segments.at(-1)!.blocks.push(block);
    this.openBlock = block;
    file.hasDataBlock = true;
    this.grow(BLOCK_HEADER_BYTES);
  }

  private startFile(prevMaxDecree: number): void {
    const index = this.nextIndex++;
    const file: TailFile = {
      index,
      name: logFileName(index, this.end),
      startOffset: this.end,
      sizeBytes: 0,
      hasDataBlock: false,
    };
    const header: FileHeader = {
      version: FILE_HEADER_VERSION,
      startOffset: this.end,
      entries: [{ gpid: this.limits.gpid, prevMaxDecree, validStartOffset: this.limits.validStartOffset }],
    };
    this.tail = file;
    this.segments.push(this.segmentFor(file, header));
    this.grow(HEADER_BLOCK_BYTES);
  }

  private segmentFor(file: TailFile, header: FileHeader | undefined): PendingSegment {
    return {
      fileIndex: file.index,
      fileName: file.name,
      fileStartOffset: file.startOffset,
      newFileHeader: header,
      localOffset: file.sizeBytes,
      blocks: [],
      sizeBytes: 0,
    };
  }

  private grow(bytes: number): void {
    this.end += bytes;
    this.pending += bytes;
    this.tail!.sizeBytes += bytes;
    this.segments.at(-1)!.sizeBytes += bytes;
  }
}

/** The bytes of a segment: its header block if it opens the file, then its blocks, framed and checksummed. */
export function buildSegment(segment: PendingSegment): Buffer {
  const out = Buffer.allocUnsafe(segment.sizeBytes);
  let pos = 0;
  if (segment.newFileHeader !== undefined) {
    assert(segment.localOffset === 0, 'a file header starts its file');
    pos += encodeBlock(encodeFileHeader(segment.newFileHeader), 0).copy(out, pos);
  }
  for (const block of segment.blocks) {
    assert(block.filledBytes === block.bodyBytes, `block at ${block.localOffset} was never filled`);
    assert(block.localOffset === segment.localOffset + pos, `block at ${block.localOffset} is out of place`);
    const headerPos = pos;
    pos += BLOCK_HEADER_BYTES;
    let crc = 0;
    for (const m of block.mutations) {
      crc = crc32(m, crc);
      pos += m.copy(out, pos);
    }
    out.writeUInt32LE(BLOCK_MAGIC, headerPos);
    out.writeUInt32LE(block.bodyBytes, headerPos + 4);
    out.writeUInt32LE(crc, headerPos + 8);
    out.writeUInt32LE(block.localOffset, headerPos + 12);
  }
  assert(pos === segment.sizeBytes, `segment built ${pos} of ${segment.sizeBytes} bytes`);
  return out;
}
