/**
 * Binary codecs for the file-copy structs of src/idl/nfs.ts, field ids, types and optional flags exactly as
 * upstream's src/nfs/nfs.thrift (the version with `pid` and `hp_source`): copy_request 1–11, copy_response
 * 1–4, get_file_size_request 1–9, get_file_size_response 1–3.
 */
import { boolCodec, i32Codec, i64NumberCodec, listCodec, stringCodec, structCodec } from '../thrift/codec.ts';
import { blobCodec, gpidCodec, hostPortCodec, rpcAddressCodec } from '../thrift/dsn.ts';
import type { CopyRequest, CopyResponse, GetFileSizeRequest, GetFileSizeResponse } from '../nfs.ts';
import { errorNameCodec } from './meta-structs.ts';

export const copyRequestCodec = structCodec<CopyRequest>('copy_request', {
  source: { id: 1, codec: rpcAddressCodec },
  sourceDir: { id: 2, codec: stringCodec },
  dstDir: { id: 3, codec: stringCodec },
  fileName: { id: 4, codec: stringCodec },
  offset: { id: 5, codec: i64NumberCodec },
  size: { id: 6, codec: i32Codec },
  isLast: { id: 7, codec: boolCodec },
  overwrite: { id: 8, codec: boolCodec },
  sourceDiskTag: { id: 9, codec: stringCodec, optional: true },
  pid: { id: 10, codec: gpidCodec, optional: true },
  hpSource: { id: 11, codec: hostPortCodec, optional: true },
});

export const copyResponseCodec = structCodec<CopyResponse>('copy_response', {
  error: { id: 1, codec: errorNameCodec },
  fileContent: { id: 2, codec: blobCodec },
  offset: { id: 3, codec: i64NumberCodec },
  size: { id: 4, codec: i32Codec },
});

export const getFileSizeRequestCodec = structCodec<GetFileSizeRequest>('get_file_size_request', {
  source: { id: 1, codec: rpcAddressCodec },
  dstDir: { id: 2, codec: stringCodec },
  fileList: { id: 3, codec: listCodec(stringCodec) },
  sourceDir: { id: 4, codec: stringCodec },
  overwrite: { id: 5, codec: boolCodec },
  sourceDiskTag: { id: 6, codec: stringCodec, optional: true },
  destDiskTag: { id: 7, codec: stringCodec, optional: true },
  pid: { id: 8, codec: gpidCodec, optional: true },
  hpSource: { id: 9, codec: hostPortCodec, optional: true },
});

export const getFileSizeResponseCodec = structCodec<GetFileSizeResponse>('get_file_size_response', {
  error: { id: 1, codec: i32Codec },
  fileList: { id: 2, codec: listCodec(stringCodec) },
  sizeList: { id: 3, codec: listCodec(i64NumberCodec) },
});
