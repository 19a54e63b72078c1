/** The public surface of the TypeScript client (architecture.md §2: used as a library and by duplication). */
export { PegasusClient, CLIENT_TIMEOUT_MS_DEFAULT } from './pegasus-client.ts';
export type { PegasusClientOptions } from './pegasus-client.ts';
export { Table } from './table.ts';
export { PegasusScanner, SCAN_RESTARTS_MAX } from './scanner.ts';
export {
  CheckType,
  FilterType,
  Mutations,
  MULTI_GET_MAX_FETCH_COUNT_DEFAULT,
  MULTI_GET_MAX_FETCH_SIZE_DEFAULT,
  SCAN_BATCH_SIZE_DEFAULT,
} from './options.ts';
export type {
  CallOptions,
  CheckAndMutateOptions,
  CheckAndMutateResult,
  CheckAndSetOptions,
  CheckAndSetResult,
  IncrOptions,
  MultiGetOptions,
  MultiGetResult,
  Mutation,
  ScanEntry,
  ScanOptions,
  SetOptions,
  SortKeyValue,
} from './options.ts';
export {
  PegasusAbortError,
  PegasusClientError,
  PegasusMetaError,
  PegasusRpcError,
  PegasusStorageError,
  PegasusTimeoutError,
} from './errors.ts';
export type { Bytes } from './bytes.ts';
export type { ClientClock } from './clock.ts';
export { SYSTEM_CLOCK } from './clock.ts';
