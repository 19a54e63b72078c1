import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from './real-clock.ts';

test('timers fire once after their delay and can be cancelled', async () => {
  const fired: string[] = [];
  const start = realClock.nowMs();
  realClock.setTimer(5, () => fired.push('a'));
  realClock.setTimer(5, () => fired.push('b')).cancel();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(fired, ['a']);
  assert.ok(realClock.nowMs() - start >= 5);
});
