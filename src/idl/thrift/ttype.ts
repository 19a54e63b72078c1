/**
 * Thrift binary protocol constants (protocol.md §0): field/element type ids and message types, plus the
 * smallest number of bytes one value of each type occupies, which bounds a container's element count by the
 * bytes that remain, so a lying count can never make a reader allocate or loop beyond its input.
 */
import { PegasusError } from '../../base/error-code.ts';

export const TType = {
  STOP: 0,
  BOOL: 2,
  BYTE: 3,
  DOUBLE: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  MAP: 13,
  SET: 14,
  LIST: 15,
} as const;
export type TType = number;

export const MessageType = { CALL: 1, REPLY: 2, EXCEPTION: 3, ONEWAY: 4 } as const;
export type MessageType = number;

/** The strict message-begin marker: version 1 in the high half, the message type in the low byte. */
export const STRICT_VERSION_1 = 0x80010000;
export const STRICT_VERSION_MASK = 0xffff0000;

/** Minimum encoded size of one value of `type`; unknown types are invalid data. */
export function minWireBytes(type: number): number {
  switch (type) {
    case TType.BOOL:
    case TType.BYTE:
    case TType.STRUCT: // at least its STOP byte
      return 1;
    case TType.I16:
      return 2;
    case TType.I32:
    case TType.STRING: // its length
      return 4;
    case TType.DOUBLE:
    case TType.I64:
      return 8;
    case TType.SET:
    case TType.LIST: // element type + count
      return 5;
    case TType.MAP: // key type + value type + count
      return 6;
    default:
      throw new PegasusError('ERR_INVALID_DATA', `unknown thrift type id ${type}`);
  }
}
