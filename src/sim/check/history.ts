/**
 * The client history the simulator records and its checkers read (simulation.md "Checkers"). Every
 * operation touches one hash key, so a history splits by hash key (P-compositionality) and each part is
 * checked against a model of one hash key: a sorted map of sort key → value. TTLs are not used by the
 * simulator's workloads, so the model has none.
 *
 * Outcomes: `ok` means the operation took effect and returned `result`; `fail` means it certainly did not
 * take effect (only for errors raised before the request left the client, or reads); `unknown` means it
 * may or may not have taken effect, at any time after its invocation (a timeout, a lost connection, or an
 * error a replica gave after the write may have been prepared). A checker must treat a write with an
 * `unknown` outcome as possibly linearized anywhere after `invokeMs`, or never.
 *
 * Values and sort keys are strings (the workloads use short printable ones); `undefined` = absent.
 */

/** One single-hash-key operation as the workload issued it. */
export type SimOp =
  | { readonly kind: 'set'; readonly sortKey: string; readonly value: string }
  | { readonly kind: 'del'; readonly sortKey: string }
  | { readonly kind: 'multiSet'; readonly entries: ReadonlyArray<readonly [sortKey: string, value: string]> }
  | { readonly kind: 'multiDel'; readonly sortKeys: readonly string[] }
  | { readonly kind: 'get'; readonly sortKey: string }
  /** Every sort key of the hash key, in order. */
  | { readonly kind: 'multiGetAll' }
  | { readonly kind: 'sortKeyCount' }
  /** Reads the value as a decimal int64 (absent or empty = 0), adds `delta`, stores and returns the sum. */
  | { readonly kind: 'incr'; readonly sortKey: string; readonly delta: number }
  /**
   * If `checkSortKey` satisfies the check, sets `setSortKey` to `setValue`. `exists`/`notExists` test
   * presence; `valueEquals` tests the value is `operand`. Returns whether it set, and the checked value.
   */
  | {
      readonly kind: 'checkAndSet';
      readonly checkSortKey: string;
      readonly check: 'exists' | 'notExists' | 'valueEquals';
      readonly operand: string;
      readonly setSortKey: string;
      readonly setValue: string;
    };

/** What an `ok` operation returned, by kind. */
export type SimResult =
  | { readonly kind: 'write' } // set, del, multiSet, multiDel
  | { readonly kind: 'get'; readonly value: string | undefined }
  | { readonly kind: 'multiGetAll'; readonly entries: ReadonlyArray<readonly [sortKey: string, value: string]> }
  | { readonly kind: 'sortKeyCount'; readonly count: number }
  | { readonly kind: 'incr'; readonly newValue: number }
  | { readonly kind: 'checkAndSet'; readonly setDone: boolean; readonly checkValue: string | undefined };

export type SimOutcome =
  | { readonly status: 'ok'; readonly result: SimResult }
  | { readonly status: 'fail'; readonly error: string }
  | { readonly status: 'unknown'; readonly error: string };

/** One operation of the history, from invocation to completion (virtual milliseconds). */
export interface HistoryEntry {
  /** Unique within a history, in invocation order. */
  readonly id: number;
  /** Which simulated client issued it (a client issues one operation at a time). */
  readonly clientId: number;
  readonly hashKey: string;
  readonly op: SimOp;
  readonly invokeMs: number;
  /** For `unknown` outcomes: when the client gave up (the op may still take effect later). */
  readonly completeMs: number;
  readonly outcome: SimOutcome;
}

export function isWrite(op: SimOp): boolean {
  return op.kind !== 'get' && op.kind !== 'multiGetAll' && op.kind !== 'sortKeyCount';
}
