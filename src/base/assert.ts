/**
 * Assertions for impossible states. A failed assertion is a programmer error or corrupted memory: it must
 * stop the replica loudly rather than be handled (TigerBeetle's rule). Expected failures use PegasusError.
 */
export class AssertionFailure extends Error {
  override readonly name = 'AssertionFailure';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}
