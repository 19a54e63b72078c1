/**
 * The file-copy RPCs of upstream's `nfs` service (src/nfs/nfs_code_definition.h: RPC_NFS_COPY,
 * RPC_NFS_GET_FILE_SIZE), served by replica servers to learners copying a checkpoint (LT_APP). Entries have
 * the shape of REPLICATION_RPCS' two-way ones, args in the thrift "service args" wrapper.
 */
import type { StructCodec } from '../thrift/codec.ts';
import type { CopyRequest, CopyResponse, GetFileSizeRequest, GetFileSizeResponse } from '../nfs.ts';
import { argsCodec, responseCodecOf } from './args-wrapper.ts';
import { copyRequestCodec, copyResponseCodec, getFileSizeRequestCodec, getFileSizeResponseCodec } from './nfs-structs.ts';
import type { ReplicationRpcServer, ReplicationTwoWayRpc } from './replication-rpcs.ts';

function twoWay<Args extends object, Response>(
  code: string,
  servedBy: ReplicationRpcServer,
  args: StructCodec<Args>,
  responseCodec: StructCodec<Response>,
): ReplicationTwoWayRpc<Args, Response> {
  return { code, servedBy, oneway: false, ...argsCodec(code, args), ...responseCodecOf(responseCodec) };
}

export const NFS_RPCS = {
  /** Learner → learnee: one chunk of one checkpoint file. */
  RPC_NFS_COPY: twoWay<CopyRequest, CopyResponse>('RPC_NFS_COPY', 'replica', copyRequestCodec, copyResponseCodec),
  /** Learner → learnee: the files of a checkpoint and their sizes. */
  RPC_NFS_GET_FILE_SIZE: twoWay<GetFileSizeRequest, GetFileSizeResponse>(
    'RPC_NFS_GET_FILE_SIZE',
    'replica',
    getFileSizeRequestCodec,
    getFileSizeResponseCodec,
  ),
} as const;

export type NfsRpcCode = keyof typeof NFS_RPCS;
export type NfsRpc = (typeof NFS_RPCS)[NfsRpcCode];

export function isNfsRpcCode(name: string): name is NfsRpcCode {
  return Object.hasOwn(NFS_RPCS, name);
}

/** The RPC for a message name, or undefined. */
export function nfsRpcByName(name: string): NfsRpc | undefined {
  return isNfsRpcCode(name) ? NFS_RPCS[name] : undefined;
}
