/**
 * A request stream that breaks the framing rules (protocol.md §1.1, §1.2). Upstream closes the session on
 * these, so the connection owner drops the connection; the code is ERR_INVALID_DATA and `reason` says why.
 */
import { PegasusError } from '../../base/error-code.ts';

export type FrameErrorReason =
  | 'bad_magic'
  | 'bad_version'
  | 'bad_header_length'
  | 'bad_meta'
  | 'body_too_large'
  | 'truncated';

export class FrameError extends PegasusError {
  constructor(
    readonly reason: FrameErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_INVALID_DATA', `${reason}: ${message}`, options);
  }
}
