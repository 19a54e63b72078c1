/**
 * `thrift_request_meta_v1` (server `src/rpc/request_meta.thrift`, Java's `dsn.layer2.request_meta`): the
 * thrift struct inside a v1 request header (protocol.md §1.2). Absent fields read as zero / false.
 */
import { boolCodec, i32Codec, i64Codec, structCodec } from '../thrift/codec.ts';

export interface RequestMetaV1 {
  appId: number;
  partitionIndex: number;
  clientTimeoutMs: number;
  /** crc64 of the hash key, unsigned on the wire's 64 bits; read here as a signed i64 and normalised by the frame layer. */
  partitionHash: bigint;
  isBackupRequest: boolean;
}

export const requestMetaV1Codec = structCodec<RequestMetaV1>('thrift_request_meta_v1', {
  appId: { id: 1, codec: i32Codec },
  partitionIndex: { id: 2, codec: i32Codec },
  clientTimeoutMs: { id: 3, codec: i32Codec },
  partitionHash: { id: 4, codec: i64Codec },
  isBackupRequest: { id: 5, codec: boolCodec },
});
