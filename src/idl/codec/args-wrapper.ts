/**
 * The thrift "service args" wrapper every RPC's arguments travel in: a struct whose only field (id 1) is
 * the real argument. A request without field 1 is refused with ERR_INVALID_DATA: no client sends one, and
 * the zero value would silently act on an empty key or table name.
 */
import { PegasusError } from '../../base/error-code.ts';
import type { StructCodec, ValueCodec } from '../thrift/codec.ts';
import { structCodec } from '../thrift/codec.ts';

export interface ArgsCodec<Args> {
  /** Decodes the args wrapper starting at `offset` (the `argsOffset` of the parsed body). */
  decodeArgs(body: Buffer, offset: number): Args;
  /** The args wrapper's bytes, exactly as the clients write them after the message begin. */
  encodeArgs(args: Args): Buffer;
}

interface ArgsWrapper<Args> {
  arg?: Args;
}

export function argsCodec<Args extends {}>(code: string, arg: ValueCodec<Args>): ArgsCodec<Args> {
  const wrapper = structCodec<ArgsWrapper<Args>>(`${code}_args`, { arg: { id: 1, codec: arg, optional: true } });
  return {
    decodeArgs(body, offset) {
      const { arg: value } = wrapper.decode(body, offset).value;
      if (value === undefined) throw new PegasusError('ERR_INVALID_DATA', `${code} args carry no field 1`);
      return value;
    },
    encodeArgs: (value) => wrapper.encode({ arg: value }),
  };
}

/** The response half shared by two-way RPCs: the struct bytes the frame layer wraps as result field 0. */
export interface ResponseCodec<Response> {
  readonly responseCodec: StructCodec<Response>;
  /** The response struct (fields + STOP), for `encodeResponse`'s `body`. */
  encodeResponse(response: Response): Buffer;
  /** Decodes a response struct starting at `offset` (inside the result wrapper's field 0). */
  decodeResponse(body: Buffer, offset: number): Response;
}

export function responseCodecOf<Response>(responseCodec: StructCodec<Response>): ResponseCodec<Response> {
  return {
    responseCodec,
    encodeResponse: (response) => responseCodec.encode(response),
    decodeResponse: (body, offset) => responseCodec.decode(body, offset).value,
  };
}
