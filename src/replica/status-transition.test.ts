import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transitionAllowed, type ReplicaStatus } from './status-transition.ts';

const ALL: ReplicaStatus[] = ['PS_INACTIVE', 'PS_PRIMARY', 'PS_SECONDARY', 'PS_POTENTIAL_SECONDARY', 'PS_ERROR'];
const at = (status: ReplicaStatus, inactiveIsTransient = false) => ({ status, inactiveIsTransient });

test('same ballot: exactly upstream\'s allowed transitions', () => {
  const allowed = new Set([
    'PS_INACTIVE(t)->PS_PRIMARY',
    'PS_INACTIVE(t)->PS_SECONDARY',
    'PS_INACTIVE(t)->PS_POTENTIAL_SECONDARY',
    'PS_INACTIVE->PS_POTENTIAL_SECONDARY',
    'PS_POTENTIAL_SECONDARY->PS_SECONDARY',
  ]);
  for (const from of [at('PS_INACTIVE', true), at('PS_INACTIVE'), at('PS_PRIMARY'), at('PS_SECONDARY'), at('PS_POTENTIAL_SECONDARY')]) {
    for (const to of ALL) {
      const name = `${from.status}${from.inactiveIsTransient ? '(t)' : ''}->${to}`;
      // No change, and stepping down to INACTIVE or ERROR, are always allowed.
      const expected = from.status === to || to === 'PS_INACTIVE' || to === 'PS_ERROR' || allowed.has(name);
      assert.equal(transitionAllowed(from, to, false), expected, name);
    }
  }
});

test('a larger ballot allows any role, except SECONDARY for a replica that lost its state', () => {
  for (const to of ALL) {
    assert.equal(transitionAllowed(at('PS_SECONDARY'), to, true), true, `SECONDARY -> ${to}`);
    assert.equal(transitionAllowed(at('PS_POTENTIAL_SECONDARY'), to, true), true, `POTENTIAL_SECONDARY -> ${to}`);
    assert.equal(transitionAllowed(at('PS_INACTIVE', true), to, true), true, `INACTIVE(t) -> ${to}`);
  }
  // Freshly opened (or removed) replicas may have lost acknowledged log bytes: they come back by learning,
  // or by the meta's explicit CT_ASSIGN_PRIMARY (for which the replica first marks itself transient).
  assert.equal(transitionAllowed(at('PS_INACTIVE'), 'PS_SECONDARY', true), false);
  assert.equal(transitionAllowed(at('PS_INACTIVE'), 'PS_PRIMARY', true), false);
  assert.equal(transitionAllowed(at('PS_INACTIVE'), 'PS_POTENTIAL_SECONDARY', true), true);
});

test('ERROR is terminal', () => {
  for (const to of ALL) assert.equal(transitionAllowed(at('PS_ERROR'), to, true), false, `ERROR -> ${to}`);
});
