/**
 * One line per failure, never a stack: the error name and what it means to an operator. Unknown errors
 * (bugs) still print one line; their stack is for the debugger, not the operator's terminal.
 */
import { PegasusError } from '../base/error-code.ts';
import { PegasusClientError } from '../client/index.ts';
import { AdminError } from './admin-client.ts';
import { UsageError } from './args.ts';
import { ShellSyntaxError } from './tokenize.ts';

const MEANINGS: Record<string, string> = {
  ERR_OBJECT_NOT_FOUND: 'no such table',
  ERR_APP_NOT_EXIST: 'no such table',
  ERR_APP_EXIST: 'a table of that name already exists',
  ERR_APP_DROPPED: 'the table was dropped',
  ERR_BUSY_CREATING: 'the table is being created',
  ERR_BUSY_DROPPING: 'the table is being dropped',
  ERR_INVALID_PARAMETERS: 'the request was refused as invalid',
  ERR_INVALID_STATE: 'the request does not fit the current state',
  ERR_TIMEOUT: 'no answer in time',
  ERR_NETWORK_FAILURE: 'the server could not be reached',
  ERR_FORWARD_TO_OTHERS: 'no meta server answered as leader',
  ERR_SERVICE_NOT_ACTIVE: 'the meta server is still starting',
  ERR_NOT_ENOUGH_MEMBER: 'too few replica servers alive for the replica count',
  ERR_HANDLER_NOT_FOUND: 'the server does not implement this request',
  ERR_RETRY_EXHAUSTED: 'gave up after retrying',
  kNotFound: 'the key does not exist',
  kInvalidArgument: 'the storage refused the arguments',
  kTryAgain: 'try again',
};

/** `ERR_X: detail (meaning)`, or a usage line for a mistake in the command itself. */
export function describeError(e: unknown): string {
  if (e instanceof UsageError || e instanceof ShellSyntaxError) return `ERROR: ${e.message}`;
  if (e instanceof AdminError || e instanceof PegasusClientError || e instanceof PegasusError) {
    const meaning = MEANINGS[e.code];
    return `ERROR: ${e.message}${meaning === undefined || e.message.includes(meaning) ? '' : ` (${meaning})`}`;
  }
  return `ERROR: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
}
