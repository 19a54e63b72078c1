/**
 * The simulator's runtime (src/sim/): the seeded PRNG, the one event queue and its driver, per-node clocks,
 * the faulty network, the crash-aware storage and meta store, the log tail, and the world that ties them
 * together. The anti-toy gate of simulation.md is here too: a seed replays the same trace hash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssertionFailure } from '../../src/base/assert.ts';
import { PegasusError, isPegasusError, type ErrorCode } from '../../src/base/error-code.ts';
import type { Gpid } from '../../src/base/gpid.ts';
import type { PegasusClientOptions } from '../../src/client/pegasus-client.ts';
import type { Mutation } from '../../src/log/mutation.ts';
import type { MetaEnv } from '../../src/meta/meta-env.ts';
import type { ReplicaStubEnv } from '../../src/replica/stub/stub-env.ts';
import type { MutationLog } from '../../src/log/mutation-log.ts';
import type { RpcAddress, RpcCallResult } from '../../src/rpc/transport.ts';
import { RingBuffer } from '../../src/sim/ring-buffer.ts';
import { SIM_EPOCH_BASE_MS } from '../../src/sim/sim-clock.ts';
import { SimEventError, SimLoop } from '../../src/sim/sim-loop.ts';
import type { SimNetworkStats } from '../../src/sim/sim-network.ts';
import { SimRandom } from '../../src/sim/sim-random.ts';
import { SimWorld, type SimNode, type SimWorldStats } from '../../src/sim/sim-world.ts';

const A = '10.0.0.1:34801';
const B = '10.0.0.2:34801';
const C = '10.0.0.3:34801';
const D = '10.0.0.4:34801';
const META_GPID = { appId: 0, partitionIndex: 0 };
const RUN_EVENTS_MAX = 200_000;

/** The outcome of a promise, observed without awaiting it (the loop must run for it to settle). */
interface Observed<T> {
  value?: T;
  error?: unknown;
  settledAtMs?: number;
}

function observe<T>(world: SimWorld | SimLoop, promise: Promise<T>): Observed<T> {
  const loop = world instanceof SimWorld ? world.loop : world;
  const out: Observed<T> = {};
  promise.then(
    (value) => {
      out.value = value;
      out.settledAtMs = loop.nowMs;
    },
    (error: unknown) => {
      out.error = error;
      out.settledAtMs = loop.nowMs;
    },
  );
  return out;
}

function errorCode(observed: Observed<unknown>): ErrorCode | undefined {
  return isPegasusError(observed.error) ? observed.error.code : undefined;
}

/** Echoes the request's args; counts calls. */
function servePing(node: SimNode): { calls: number } {
  const counter = { calls: 0 };
  node.handlers.register('RPC_SIM_PING', (request, reply) => {
    counter.calls++;
    reply.ok(Buffer.from(request.args));
  });
  return counter;
}

function ping(node: SimNode, to: RpcAddress, text = 'ping', timeoutMs = 100): Promise<RpcCallResult> {
  return node.channel.call(to, { name: 'RPC_SIM_PING', gpid: META_GPID, partitionHash: 0n, args: Buffer.from(text), timeoutMs });
}

function fixedDelayWorld(seed: number, delayMs: number): SimWorld {
  return new SimWorld({ seed, network: { faults: { delayMinMs: delayMs, delayMaxMs: delayMs } } });
}

// ---- SimRandom ------------------------------------------------------------------------------------------

test('SimRandom: a seed gives the same numbers, in range, and another seed other numbers', () => {
  const draw = (seed: number): number[] => {
    const r = SimRandom.fromSeed(seed);
    return [r.float(), r.int(1, 6), r.int(-5, 5), r.chance(0.5) ? 1 : 0, r.pick(['x', 'y', 'z']).length, r.float()];
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  const r = SimRandom.fromSeed(1);
  for (let i = 0; i < 2000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    const n = r.int(3, 9);
    assert.ok(Number.isInteger(n) && n >= 3 && n <= 9);
  }
  assert.equal(r.chance(0), false);
  assert.equal(r.chance(1), true);
});

test('SimRandom: a fork depends on the seed and its label only, not on draws made elsewhere', () => {
  const quiet = SimRandom.fromSeed(42);
  const busy = SimRandom.fromSeed(42);
  for (let i = 0; i < 100; i++) busy.float();
  busy.fork('workload').int(0, 1000); // a sibling drawing more changes nothing for "network"
  const fromQuiet = quiet.fork('network');
  const fromBusy = busy.fork('network');
  const a = Array.from({ length: 20 }, () => fromQuiet.int(0, 1_000_000));
  const b = Array.from({ length: 20 }, () => fromBusy.int(0, 1_000_000));
  assert.deepEqual(a, b);
  const other = SimRandom.fromSeed(42).fork('disk');
  assert.notDeepEqual(Array.from({ length: 20 }, () => other.int(0, 1_000_000)), a);
  assert.equal(fromQuiet.path, 'seed:42/network');
  // Two components forking one label would draw the same numbers: refused.
  assert.throws(() => quiet.fork('network'), AssertionFailure);
  assert.throws(() => quiet.int(5, 4), AssertionFailure);
  assert.throws(() => quiet.chance(1.5), AssertionFailure);
  assert.throws(() => quiet.pick([]), AssertionFailure);
});

// ---- SimLoop ----------------------------------------------------------------------------------------

test('events run in time order, ties in scheduling order, and the clock reads each event time', async () => {
  const loop = new SimLoop();
  const ran: string[] = [];
  const at = (t: number, name: string): void => {
    loop.schedule(t, name, () => ran.push(`${name}@${loop.nowMs}`));
  };
  at(10, 'a');
  at(5, 'b');
  at(10, 'c');
  at(5, 'd');
  at(7.5, 'e');
  // An event scheduled for "now" while running goes after the events already queued for that time.
  loop.schedule(5, 'f', () => {
    ran.push(`f@${loop.nowMs}`);
    loop.schedule(loop.nowMs, 'g', () => ran.push(`g@${loop.nowMs}`));
  });
  const result = await loop.runUntil(100, 1000);
  assert.deepEqual(ran, ['b@5', 'd@5', 'f@5', 'g@5', 'e@7.5', 'a@10', 'c@10']);
  assert.deepEqual(result, { reason: 'time', eventsRun: 7, nowMs: 100 });
  assert.equal(loop.eventsRun, 7);
  assert.throws(() => loop.schedule(99, 'past', () => {}), AssertionFailure);
});

test('runUntil stops on a predicate, on an empty queue and at the event limit; cancelled events never run', async () => {
  const loop = new SimLoop();
  let count = 0;
  const tick = (): void => {
    count++;
    loop.scheduleAfter(10, 'tick', tick);
  };
  loop.schedule(0, 'tick', tick);
  const cancelled = loop.schedule(15, 'cancelled', () => assert.fail('a cancelled event ran'));
  cancelled.cancel();
  assert.equal((await loop.runUntil(() => count === 5, 1000)).reason, 'predicate');
  assert.equal(loop.nowMs, 40);
  const limited = await loop.runUntil(() => false, 3);
  assert.deepEqual(limited, { reason: 'eventLimit', eventsRun: 3, nowMs: 70 });
  assert.equal(count, 8);

  const idle = new SimLoop();
  idle.schedule(3, 'once', () => {});
  assert.deepEqual(await idle.runUntil(() => false, 10), { reason: 'idle', eventsRun: 1, nowMs: 3 });
  assert.equal(idle.pendingEvents, 0);
});

test('between two events every promise continuation settles, however deep the chain', async () => {
  const loop = new SimLoop();
  const steps = 10_000;
  let done = 0;
  loop.schedule(1, 'start a deep chain', async () => {
    for (let i = 0; i < steps; i++) await Promise.resolve();
    done = steps;
  });
  let seen = -1;
  loop.schedule(1, 'look at it', () => {
    seen = done;
  });
  await loop.runUntil(10, 10);
  assert.equal(seen, steps);
});

test('MemLog and MemStore work settles between two events: they complete in microtasks only', async () => {
  const world = fixedDelayWorld(3, 1);
  const node = world.addNode(A);
  const gpid: Gpid = { appId: 1, partitionIndex: 0 };
  let state = 'not started';
  world.loop.schedule(1, 'write a lot', async () => {
    const { db, log } = await node.storage.openReplica(gpid);
    for (let decree = 1; decree <= 50; decree++) {
      await log.append(mutation(gpid, decree));
      const batch = db.store.newBatch();
      batch.put(Buffer.from(`k${decree}`), Buffer.from(`v${decree}`));
      await db.store.write(decree, batch);
    }
    await log.flush();
    await db.store.flush();
    state = `${log.maxDecree()} ${db.store.lastFlushedDecree()}`;
  });
  let seen = '';
  world.loop.schedule(1, 'check', () => {
    seen = state;
  });
  await world.runUntil(5, 10);
  assert.equal(seen, '50 50');
});

test('an event that throws or rejects fails the run with SimEventError', async () => {
  const loop = new SimLoop();
  loop.schedule(2, 'boom', () => {
    throw new PegasusError('ERR_UNKNOWN', 'boom');
  });
  await assert.rejects(loop.runUntil(10, 10), (e: unknown) => e instanceof SimEventError && e.label === 'boom' && e.atMs === 2);
  const asyncLoop = new SimLoop();
  asyncLoop.schedule(1, 'async boom', async () => {
    await Promise.resolve();
    throw new Error('later');
  });
  await assert.rejects(asyncLoop.runUntil(10, 10), (e: unknown) => e instanceof SimEventError && e.label === 'async boom');
});

test('the trace hash covers time, order and labels of executed events, and the tail is bounded', async () => {
  const run = async (labels: Array<[number, string]>): Promise<SimLoop> => {
    const loop = new SimLoop({ traceTailMax: 2 });
    for (const [t, label] of labels) loop.schedule(t, label, () => {});
    await loop.runUntil(100, 100);
    return loop;
  };
  const base = await run([[1, 'x'], [2, 'y'], [3, 'z']]);
  assert.equal((await run([[1, 'x'], [2, 'y'], [3, 'z']])).traceHash(), base.traceHash());
  assert.notEqual((await run([[1, 'x'], [2, 'y'], [4, 'z']])).traceHash(), base.traceHash());
  assert.notEqual((await run([[1, 'x'], [2, 'y'], [3, 'w']])).traceHash(), base.traceHash());
  assert.deepEqual(base.traceTail(), ['2 #1 y', '3 #2 z']);
  assert.match(base.traceHash(), /^[0-9a-f]{64}$/);

  const ring = new RingBuffer<number>(3);
  for (let i = 1; i <= 5; i++) ring.push(i);
  assert.deepEqual(ring.toArray(), [3, 4, 5]);
});

// ---- clocks -----------------------------------------------------------------------------------------

test('node clocks: wall time is base + virtual time + skew; timers run on virtual time and fire in order', async () => {
  const world = fixedDelayWorld(5, 1);
  const a = world.addNode(A);
  const b = world.addNode(B, { skewMs: 250 });
  assert.equal(a.clock.nowMs(), SIM_EPOCH_BASE_MS);
  assert.equal(b.clock.nowMs() - a.clock.nowMs(), 250);
  const fired: string[] = [];
  b.clock.setTimer(100, () => fired.push(`b100 at ${b.clock.nowMs() - SIM_EPOCH_BASE_MS}`));
  a.clock.setTimer(100, () => fired.push(`a100 at ${a.clock.nowMs() - SIM_EPOCH_BASE_MS}`));
  a.clock.setTimer(50, () => fired.push('a50'));
  const cancelled = a.clock.setTimer(60, () => fired.push('cancelled'));
  cancelled.cancel();
  await world.runUntil(1000, 100);
  assert.deepEqual(fired, ['a50', 'b100 at 350', 'a100 at 100']);
  b.machineClock.setSkewMs(-40);
  assert.equal(b.clock.nowMs(), SIM_EPOCH_BASE_MS + 1000 - 40);
});

test('the client clock sleeps on virtual time and an abort rejects the sleep with the reason', async () => {
  const world = fixedDelayWorld(6, 1);
  const node = world.addNode(A);
  const slept = observe(world, node.clientClock.sleep(30));
  const controller = new AbortController();
  const aborted = observe(world, node.clientClock.sleep(500, controller.signal));
  world.loop.schedule(10, 'abort', () => controller.abort(new PegasusError('ERR_TIMEOUT', 'gave up')));
  await world.runUntil(1000, 100);
  assert.equal(slept.settledAtMs, 30);
  assert.equal(aborted.settledAtMs, 10);
  assert.equal(errorCode(aborted), 'ERR_TIMEOUT');
  assert.equal(world.loop.eventsRun, 2, 'the aborted sleep left no timer behind');
  const already = observe(world, node.clientClock.sleep(5, AbortSignal.abort('stop')));
  await world.runFor(10, 10);
  assert.equal(already.error, 'stop');
});

// ---- network ----------------------------------------------------------------------------------------

test('a call is delivered after the drawn delay, dispatched like the TCP server, and answered', async () => {
  const world = fixedDelayWorld(9, 7);
  const a = world.addNode(A);
  const b = world.addNode(B);
  servePing(b);
  b.handlers.register('RPC_SIM_BUSY', () => {
    throw new PegasusError('ERR_BUSY', 'too much');
  });
  let remote = '';
  let oneways = 0;
  b.handlers.register('RPC_SIM_ONEWAY', (request) => {
    remote = request.remote;
    oneways++;
  });
  const args = Buffer.from('hello');
  const answered = observe(world, a.channel.call(B, { name: 'RPC_SIM_PING', gpid: META_GPID, partitionHash: 0n, args, timeoutMs: 100 }));
  args.write('HELLO'); // the network copied the bytes when the call was made
  const unknownName = observe(world, a.channel.call(B, { name: 'RPC_NOPE', gpid: META_GPID, partitionHash: 0n, args, timeoutMs: 100 }));
  const busy = observe(world, a.channel.call(B, { name: 'RPC_SIM_BUSY', gpid: META_GPID, partitionHash: 0n, args, timeoutMs: 100 }));
  const oneway = observe(world, a.channel.call(B, { name: 'RPC_SIM_ONEWAY', gpid: META_GPID, partitionHash: 0n, args, timeoutMs: 100, oneway: true }));
  const badTimeout = observe(world, a.channel.call(B, { name: 'RPC_SIM_PING', gpid: META_GPID, partitionHash: 0n, args, timeoutMs: 0 }));
  await world.runUntil(1000, 100);
  assert.equal(answered.value?.errorName, 'ERR_OK');
  assert.equal(answered.value?.result?.toString(), 'hello');
  assert.equal(answered.settledAtMs, 14, 'request and response each took 7 ms');
  assert.deepEqual(unknownName.value, { errorName: 'ERR_HANDLER_NOT_FOUND' });
  assert.deepEqual(busy.value, { errorName: 'ERR_BUSY' });
  assert.deepEqual(oneway.value, { errorName: 'ERR_OK' });
  assert.equal(oneway.settledAtMs, 0, 'a oneway call resolves once handed off');
  assert.equal(oneways, 1);
  assert.equal(remote, A);
  assert.equal(errorCode(badTimeout), 'ERR_INVALID_PARAMETERS');
  assert.equal(world.network.stats.messagesSent, 7);
  assert.equal(world.network.stats.messagesDelivered, 7);
});

test('timeouts reject with ERR_TIMEOUT: unknown address, dropped request, dropped response, silent handler', async () => {
  const world = fixedDelayWorld(11, 3);
  const a = world.addNode(A);
  const b = world.addNode(B);
  const pings = servePing(b);
  b.handlers.register('RPC_SIM_SILENT', () => {});
  const unknown = observe(world, ping(a, '10.9.9.9:1', 'x', 250));
  const silent = observe(world, a.channel.call(B, { name: 'RPC_SIM_SILENT', gpid: META_GPID, partitionHash: 0n, args: Buffer.alloc(0), timeoutMs: 40 }));
  await world.runFor(1000, 100);
  assert.equal(errorCode(unknown), 'ERR_TIMEOUT');
  assert.equal(unknown.settledAtMs, 250);
  assert.equal(errorCode(silent), 'ERR_TIMEOUT');
  assert.equal(silent.settledAtMs, 40);

  world.network.setFaults({ requestDropRate: 1 });
  const requestLost = observe(world, ping(a, B));
  await world.runFor(1000, 100);
  world.network.setFaults({ requestDropRate: 0, responseDropRate: 1 });
  const responseLost = observe(world, ping(a, B));
  await world.runFor(1000, 100);
  assert.equal(errorCode(requestLost), 'ERR_TIMEOUT');
  assert.equal(errorCode(responseLost), 'ERR_TIMEOUT');
  assert.equal(pings.calls, 1, 'only the call whose response was lost reached the handler');
  assert.equal(world.network.stats.callsTimedOut, 4);
  assert.equal(world.network.stats.droppedBy.unknownAddress, 1);
  assert.equal(world.network.stats.droppedBy.random, 2);
});

test('a duplicated request runs the handler twice and the caller keeps the first answer', async () => {
  const world = new SimWorld({ seed: 12, network: { faults: { duplicateRate: 1, delayMinMs: 1, delayMaxMs: 20 } } });
  const a = world.addNode(A);
  const b = world.addNode(B);
  const pings = servePing(b);
  const answered = observe(world, ping(a, B, 'once?', 500));
  await world.runUntil(1000, 100);
  assert.equal(answered.value?.result?.toString(), 'once?');
  assert.equal(pings.calls, 2);
  assert.equal(world.network.stats.messagesDuplicated, 1);
  assert.equal(world.network.stats.lateResponses, 1);
});

test('a partition blocks exactly the cut links, also for messages in flight, until it heals', async () => {
  const world = fixedDelayWorld(13, 10);
  const [a, b, c] = [A, B, C].map((address) => world.addNode(address)) as [SimNode, SimNode, SimNode];
  const [servedA, servedB, servedC] = [a, b, c].map(servePing) as [{ calls: number }, { calls: number }, { calls: number }];
  world.network.partition([A], [B], { symmetric: false });
  assert.deepEqual(world.network.cutLinks(), [`${A}>${B}`]);
  assert.equal(world.network.isCut(B, A), false);
  const aToB = observe(world, ping(a, B));
  await world.runFor(500, 1000);
  assert.equal(errorCode(aToB), 'ERR_TIMEOUT');
  assert.equal(servedB.calls, 0, 'the request never crossed A>B');
  const bToA = observe(world, ping(b, A));
  await world.runFor(500, 1000);
  assert.equal(servedA.calls, 1, 'the request crossed B>A');
  assert.equal(errorCode(bToA), 'ERR_TIMEOUT', 'but its response needed A>B');
  const others = [observe(world, ping(a, C)), observe(world, ping(c, A)), observe(world, ping(b, C)), observe(world, ping(c, B))];
  await world.runFor(500, 1000);
  assert.deepEqual(others.map((o) => o.value?.errorName), ['ERR_OK', 'ERR_OK', 'ERR_OK', 'ERR_OK']);
  assert.deepEqual([servedA.calls, servedB.calls, servedC.calls], [2, 1, 2]);

  // Symmetric: both directions cut. A call in flight when the cut happens is lost as well.
  world.network.heal();
  const inFlight = observe(world, ping(c, A));
  world.loop.scheduleAfter(5, 'cut', () => world.network.partition([A, B], [C]));
  await world.runFor(500, 1000);
  assert.equal(errorCode(inFlight), 'ERR_TIMEOUT');
  const cToA = observe(world, ping(c, A));
  const aToC = observe(world, ping(a, C));
  const sameSide = observe(world, ping(a, B));
  await world.runFor(500, 1000);
  assert.equal(errorCode(cToA), 'ERR_TIMEOUT');
  assert.equal(errorCode(aToC), 'ERR_TIMEOUT');
  assert.equal(sameSide.value?.errorName, 'ERR_OK', 'a link inside one side stays up');

  world.network.heal();
  const healed = observe(world, ping(a, C));
  await world.runFor(500, 1000);
  assert.equal(healed.value?.errorName, 'ERR_OK');
  assert.ok(world.network.stats.droppedBy.partition >= 4);
});

test('a crashed process runs no code: no timers, no sleeps, no responses, and its calls never settle', async () => {
  const world = fixedDelayWorld(14, 5);
  const a = world.addNode(A);
  const b = world.addNode(B);
  b.handlers.register('RPC_SIM_SLOW', (_request, reply) => {
    b.clock.setTimer(30, () => reply.ok(Buffer.from('late')));
  });
  const ranAfterCrash: string[] = [];
  const oldClock = a.clock;
  const oldChannel = a.channel;
  a.clock.setTimer(100, () => ranAfterCrash.push('timer'));
  a.clientClock.sleep(100).then(() => ranAfterCrash.push('sleep'));
  const call = observe(world, a.channel.call(B, { name: 'RPC_SIM_SLOW', gpid: META_GPID, partitionHash: 0n, args: Buffer.alloc(0), timeoutMs: 200 }));
  world.loop.schedule(10, 'crash A', () => world.crashProcess(a));
  let incoming: Observed<RpcCallResult> = {};
  world.loop.schedule(20, 'B calls the dead', () => {
    incoming = observe(world, ping(b, A, 'to the dead', 300));
  });
  await world.runUntil(1000, 100);
  assert.deepEqual([...ranAfterCrash], []);
  assert.equal(call.settledAtMs, undefined, 'the call of a dead process never settles, not even by timeout');
  assert.equal(errorCode(incoming), 'ERR_TIMEOUT', 'messages to a dead process are lost');
  assert.ok(world.loop.eventsSkipped >= 3, 'timer, sleep, timeout and response were skipped');
  assert.equal(a.alive, false);
  assert.throws(() => a.clock, AssertionFailure, 'wiring a dead process is a harness bug');

  // What the dead process's objects still hold stays dead after a restart.
  world.restart(a);
  assert.equal(a.epoch, 2);
  servePing(a);
  oldClock.setTimer(1, () => ranAfterCrash.push('old clock'));
  const oldCall = observe(world, oldChannel.call(B, { name: 'RPC_SIM_SLOW', gpid: META_GPID, partitionHash: 0n, args: Buffer.alloc(0), timeoutMs: 10 }));
  let newTimer = false;
  a.clock.setTimer(1, () => (newTimer = true));
  const reachesNew = observe(world, ping(b, A, 'hello again', 300));
  await world.runFor(1000, 100);
  assert.deepEqual(ranAfterCrash, []);
  assert.equal(oldCall.settledAtMs, undefined);
  assert.equal(newTimer, true);
  assert.equal(reachesNew.value?.errorName, 'ERR_OK');
});

test('a restarted node does not receive what was sent to its previous process', async () => {
  const world = fixedDelayWorld(15, 20);
  const a = world.addNode(A);
  const b = world.addNode(B);
  const firstLife = servePing(b);
  const sent = observe(world, ping(a, B, 'to life 1', 100));
  world.loop.schedule(5, 'crash and restart B', () => {
    world.crashProcess(b);
    world.restart(b);
  });
  const secondLife = { calls: 0 };
  world.loop.schedule(6, 'serve', () => {
    secondLife.calls = servePing(b).calls;
  });
  await world.runUntil(1000, 100);
  assert.equal(errorCode(sent), 'ERR_TIMEOUT');
  assert.equal(firstLife.calls + secondLife.calls, 0);
  assert.equal(world.network.stats.droppedBy.nodeDown, 1);
});

test('close() fails pending calls with ERR_NETWORK_FAILURE and refuses later ones', async () => {
  const world = fixedDelayWorld(16, 50);
  const a = world.addNode(A);
  servePing(world.addNode(B));
  const pending = observe(world, ping(a, B));
  await a.channel.close();
  const after = observe(world, ping(a, B));
  await world.runFor(500, 100);
  assert.equal(errorCode(pending), 'ERR_NETWORK_FAILURE');
  assert.equal(errorCode(after), 'ERR_NETWORK_FAILURE');
  assert.equal(world.network.stats.lateResponses, 1);
});

// ---- storage ----------------------------------------------------------------------------------------

function mutation(gpid: Gpid, decree: number): Mutation {
  return {
    header: { gpid: { ...gpid }, ballot: 1, decree, logOffset: 0, lastCommittedDecree: decree - 1, timestampUs: 1_750_000_000_000_000 + decree },
    updates: [{ code: 'RPC_RRDB_RRDB_PUT', serializationType: 0, data: Buffer.from(`update ${decree}`) }],
  };
}

async function replayedDecrees(log: MutationLog): Promise<number[]> {
  const decrees: number[] = [];
  await log.replay(0, (m) => decrees.push(m.header.decree));
  return decrees;
}

const GPID: Gpid = { appId: 2, partitionIndex: 3 };

/** Writes decrees 1..3 to the store (only 1 flushed) and the plog (only 1 synced), and both small files. */
async function writeReplica(node: SimNode): Promise<{ log: MutationLog; flush: () => Promise<void> }> {
  const { db, log } = await node.storage.openReplica(GPID);
  for (let decree = 1; decree <= 3; decree++) {
    await log.append(mutation(GPID, decree));
    const batch = db.store.newBatch();
    batch.put(Buffer.from(`key${decree}`), Buffer.from(`value${decree}`));
    await db.store.write(decree, batch);
    if (decree === 1) {
      await log.flush();
      await db.store.flush();
    }
  }
  await node.storage.writeFile(GPID, '.app-info', '{"app": "t"}');
  await node.storage.writeFile(GPID, '.init-info', '{"ballot": 1}');
  await node.storage.writeFile(GPID, '.init-info', '{"ballot": 2}');
  return { log, flush: () => db.store.flush() };
}

async function reopen(node: SimNode): Promise<{ applied: number; key3: Buffer | undefined; decrees: number[]; init?: string; app?: string }> {
  const { db, log } = await node.storage.openReplica(GPID);
  return {
    applied: db.store.lastAppliedDecree(),
    key3: await db.store.get(Buffer.from('key3')),
    decrees: await replayedDecrees(log),
    init: await node.storage.readFile(GPID, '.init-info'),
    app: await node.storage.readFile(GPID, '.app-info'),
  };
}

/** Runs `fn` as one loop event, the way the harness drives storage, and returns its result. */
async function inEvent<T>(world: SimWorld, fn: () => Promise<T>): Promise<T> {
  let out: { value: T } | undefined;
  world.loop.scheduleAfter(0, 'test step', async () => {
    out = { value: await fn() };
  });
  await world.runFor(1, 10);
  assert.ok(out !== undefined, 'the step did not finish within its event');
  return out.value;
}

test('a process crash keeps the plog written and the store as last flushed; the dead process is fenced', async () => {
  const world = fixedDelayWorld(21, 1);
  const node = world.addNode(A, { storage: { memtableBytesMax: 1 << 20 } });
  const oldStorage = node.storage;
  const { log: oldLog, flush: oldFlush } = await inEvent(world, () => writeReplica(node));
  world.crashProcess(node);
  await assert.rejects(oldFlush(), (e: unknown) => isPegasusError(e, 'ERR_FILE_OPERATION_FAILED'), 'a dead store cannot flush');
  await assert.rejects(oldLog.append(mutation(GPID, 4)), PegasusError, 'a dead plog cannot write');
  await assert.rejects(oldStorage.listReplicas(), (e: unknown) => isPegasusError(e, 'ERR_FILE_OPERATION_FAILED'));
  world.restart(node);
  const after = await inEvent(world, () => reopen(node));
  assert.equal(after.applied, 1, 'the memtable died with the process');
  assert.equal(after.key3, undefined);
  assert.deepEqual(after.decrees, [1, 2, 3], 'written plog bytes survive a process crash');
  assert.equal(after.init, '{"ballot": 2}');
  assert.equal(after.app, '{"app": "t"}');
  assert.deepEqual(await inEvent(world, () => node.storage.listReplicas()), [GPID]);
});

test('a machine crash loses unsynced plog bytes; synced ones, flushed stores and small files survive', async () => {
  const world = fixedDelayWorld(22, 1);
  const node = world.addNode(A, { storage: { memtableBytesMax: 1 << 20 } });
  await inEvent(world, () => writeReplica(node));
  world.crashProcess(node);
  node.disk.crashMachine(); // no random prefix: every unsynced byte is lost
  world.restart(node);
  const after = await inEvent(world, () => reopen(node));
  assert.deepEqual(after.decrees, [1]);
  assert.equal(after.applied, 1);
  assert.equal(after.init, '{"ballot": 2}');

  // With plog_force_flush every acknowledged append is synced, so a machine crash loses none of them.
  const synced = world.addNode(B, { storage: { memtableBytesMax: 1 << 20, log: { forceFlush: true } } });
  await inEvent(world, () => writeReplica(synced));
  world.crashMachine(synced);
  world.restart(synced);
  assert.deepEqual((await inEvent(world, () => reopen(synced))).decrees, [1, 2, 3]);
});

test('the world machine crash keeps a seeded random prefix of the unsynced plog bytes', async () => {
  const survivors = async (seed: number): Promise<number[]> => {
    const world = fixedDelayWorld(seed, 1);
    const node = world.addNode(A, { storage: { memtableBytesMax: 1 << 20 } });
    await inEvent(world, () => writeReplica(node));
    world.crashMachine(node);
    world.restart(node);
    return (await inEvent(world, () => reopen(node))).decrees;
  };
  const seen = new Set<string>();
  for (let seed = 1; seed <= 12; seed++) {
    const decrees = await survivors(seed);
    assert.deepEqual(decrees, [1, 2, 3].slice(0, decrees.length), 'what survives is a prefix');
    assert.ok(decrees.length >= 1, 'the synced decree always survives');
    assert.deepEqual(await survivors(seed), decrees, 'the same seed keeps the same prefix');
    seen.add(decrees.join(','));
  }
  assert.ok(seen.size >= 2, `prefixes vary with the seed: ${[...seen].join(' | ')}`);
});

test('moveAside renames the directory deterministically and a new replica there starts empty', async () => {
  const world = fixedDelayWorld(23, 1);
  const node = world.addNode(A, { storage: { memtableBytesMax: 1 << 20 } });
  await inEvent(world, () => writeReplica(node));
  await world.runUntil(42, 10);
  const moved = await inEvent(world, () => node.storage.moveAside(GPID, 'err'));
  assert.equal(moved, `2.3.pegasus.${(SIM_EPOCH_BASE_MS + 42) * 1000}.err`);
  const again = await inEvent(world, async () => {
    await node.storage.writeFile(GPID, '.app-info', '{}');
    return node.storage.moveAside(GPID, 'gar');
  });
  assert.equal(again, `2.3.pegasus.${(SIM_EPOCH_BASE_MS + 43) * 1000}.gar`);
  assert.deepEqual(node.disk.movedAside(), [moved, again]);
  assert.deepEqual(await inEvent(world, () => node.storage.listReplicas()), []);
  await assert.rejects(
    inEvent(world, () => node.storage.moveAside(GPID, 'err')),
    (e: unknown) => e instanceof SimEventError && isPegasusError(e.cause, 'ERR_PATH_NOT_FOUND'),
  );
  const fresh = await inEvent(world, () => reopen(node));
  assert.deepEqual(fresh, { applied: 0, key3: undefined, decrees: [], init: undefined, app: undefined });
});

test('the meta store outlives a meta process crash; the dead process handle is fenced', async () => {
  const world = fixedDelayWorld(24, 1);
  const meta = world.addNode(A);
  const oldStore = meta.metaStore;
  await inEvent(world, async () => {
    await oldStore.createNode('/pegasus', Buffer.from('root'));
    await oldStore.submitTransaction([{ kind: 'create', path: '/pegasus/app', data: Buffer.from('t') }]);
  });
  world.crashProcess(meta);
  await assert.rejects(oldStore.getData('/pegasus'), (e: unknown) => isPegasusError(e, 'ERR_SERVICE_NOT_ACTIVE'));
  world.restart(meta);
  const store = meta.metaStore;
  assert.notEqual(store, oldStore);
  assert.deepEqual(await inEvent(world, () => store.getChildren('/pegasus')), ['app']);
  await store.close();
  await assert.rejects(store.exists('/pegasus'), (e: unknown) => isPegasusError(e, 'ERR_SERVICE_NOT_ACTIVE'));
  assert.equal(await world.metaStore.state.exists('/pegasus/app'), true, 'closing a handle leaves the store');
});

test('with latency, meta store results arrive as events, in call order, and never to a dead process', async () => {
  const world = new SimWorld({ seed: 25, metaStore: { delayMinMs: 1, delayMaxMs: 40 } });
  const meta = world.addNode(A);
  const order: string[] = [];
  const store = meta.metaStore;
  for (let i = 0; i < 5; i++) store.createNode(`/n${i}`).then(() => order.push(`n${i}@${world.loop.nowMs}`));
  const lost = observe(world, store.createNode('/after-crash-write'));
  world.loop.schedule(0, 'crash', () => world.crashProcess(meta));
  await world.runUntil(1000, 100);
  assert.deepEqual(order, [], 'the process crashed before any result came back');
  assert.equal(lost.settledAtMs, undefined);
  assert.equal(await world.metaStore.state.exists('/after-crash-write'), true, 'the write took effect all the same');

  world.restart(meta);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) meta.metaStore.getData(`/n${i}`).then(() => times.push(world.loop.nowMs));
  await world.runFor(1000, 100);
  assert.equal(times.length, 5);
  assert.deepEqual([...times].sort((x, y) => x - y), times, 'FIFO: later calls never overtake earlier ones');
  assert.ok(times[0]! > 1000, 'results take virtual time');
});

// ---- logs and reports -------------------------------------------------------------------------------

test('the sim logger keeps a bounded tail with virtual time and process name', async () => {
  const world = new SimWorld({ seed: 31, logTailMax: 3 });
  const node = world.addNode(A);
  world.loop.schedule(17, 'log', () => {
    node.logger.info({ n: 1 }, 'one');
    node.logger.warn({ big: 5n, bytes: Buffer.from('ab'), err: new PegasusError('ERR_BUSY', 'busy') }, 'two');
    node.logger.error({}, 'three');
    node.logger.info({}, 'four');
  });
  await world.runUntil(20, 10);
  const tail = world.logs.tail();
  assert.deepEqual(tail.map((e) => e.msg), ['two', 'three', 'four']);
  assert.equal(tail[0]!.atMs, 17);
  assert.equal(tail[0]!.source, `${A}/1`);
  assert.match(tail[0]!.fields, /"big":"5n"/);
  assert.match(tail[0]!.fields, /<2 bytes 6162>/);
  assert.match(tail[0]!.fields, /"code":"ERR_BUSY"/);
  assert.match(world.logs.format(), /^17 WARN  10\.0\.0\.1:34801\/1 two /);
});

// ---- what the cluster harness builds on ----------------------------------------------------------------

test('a SimNode offers what MetaEnv, ReplicaStubEnv and the client take, all of it fresh after a restart', async () => {
  const world = new SimWorld({ seed: 41 });
  const meta = world.addNode('10.0.0.9:34601');
  const replica = world.addNode(A);
  const client = world.addNode('10.0.1.1:1');
  const metaEnv: Omit<MetaEnv, 'config'> = { clock: meta.clock, network: meta.network, metaStore: meta.metaStore, logger: meta.logger };
  const stubEnv: Omit<ReplicaStubEnv, 'config'> = { clock: replica.clock, network: replica.network, storage: replica.storage, logger: replica.logger };
  const clientOptions: PegasusClientOptions = { metaServers: [meta.address], channel: client.channel, clock: client.clientClock };
  assert.equal(metaEnv.network.handlers, meta.handlers);
  assert.equal(clientOptions.channel, client.channel);

  world.crashProcess(replica);
  world.restart(replica);
  assert.equal(replica.epoch, 2);
  assert.notEqual(replica.clock, stubEnv.clock);
  assert.notEqual(replica.network.channel, stubEnv.network.channel);
  assert.notEqual(replica.network.handlers, stubEnv.network.handlers);
  assert.notEqual(replica.storage, stubEnv.storage);
  assert.equal(replica.logger.source, `${A}/2`);
  // A handler that fails an assertion stops the run: a bug is never answered like a bad request.
  replica.handlers.register('RPC_SIM_BUG', () => {
    throw new AssertionFailure('impossible state');
  });
  observe(world, client.channel.call(A, { name: 'RPC_SIM_BUG', gpid: META_GPID, partitionHash: 0n, args: Buffer.alloc(0), timeoutMs: 100 }));
  await assert.rejects(world.runFor(1000, 100), (e: unknown) => e instanceof SimEventError && e.cause instanceof AssertionFailure);
});

// ---- the anti-toy gate: same seed, same run ---------------------------------------------------------

interface ScenarioResult {
  hash: string;
  outcomes: string[];
  report: string;
  stats: unknown;
}

/** Four nodes pinging each other under drops, duplicates, random delays, a partition, crashes and restarts. */
async function scenario(seed: number): Promise<ScenarioResult> {
  const world = new SimWorld({
    seed,
    network: { faults: { requestDropRate: 0.1, responseDropRate: 0.1, duplicateRate: 0.2, delayMinMs: 1, delayMaxMs: 30 } },
  });
  const addresses = [A, B, C, D];
  const workload = world.random.fork('workload');
  const outcomes: string[] = [];
  const boot = (node: SimNode): void => {
    const name = node.process.name;
    node.handlers.register('RPC_SIM_PING', (request, reply) => {
      // Some answers take a while, so responses race with timeouts and later requests.
      if (workload.chance(0.3)) node.clock.setTimer(workload.int(1, 40), () => reply.ok(Buffer.from(request.args)));
      else reply.ok(Buffer.from(request.args));
    });
    const tick = (): void => {
      const to = workload.pick(addresses);
      ping(node, to, name, 60).then(
        (r) => outcomes.push(`${world.loop.nowMs} ${name}->${to} ${r.errorName}`),
        (e: unknown) => outcomes.push(`${world.loop.nowMs} ${name}->${to} ${isPegasusError(e) ? e.code : String(e)}`),
      );
      node.clock.setTimer(workload.int(5, 50), tick);
    };
    node.clock.setTimer(workload.int(0, 10), tick);
  };
  for (const address of addresses) boot(world.addNode(address, { skewMs: workload.int(-100, 100) }));
  world.loop.schedule(300, 'partition', () => world.network.partition([A, B], [C, D]));
  world.loop.schedule(400, 'crash D', () => world.crashProcess(D));
  world.loop.schedule(600, 'heal', () => world.network.heal());
  world.loop.schedule(700, 'restart D', () => boot(world.restart(D)));
  world.loop.schedule(800, 'machine crash C', () => world.crashMachine(C));
  world.loop.schedule(900, 'restart C', () => boot(world.restart(C)));
  const result = await world.runUntil(1500, RUN_EVENTS_MAX);
  assert.equal(result.reason, 'time');
  return { hash: world.traceHash(), outcomes, report: world.failureReport(), stats: { net: world.network.stats, world: world.stats, skipped: world.loop.eventsSkipped } };
}

test('same seed, same trace hash and history; another seed, another run', async () => {
  const first = await scenario(1234);
  const second = await scenario(1234);
  assert.equal(second.hash, first.hash);
  assert.deepEqual(second.outcomes, first.outcomes);
  assert.deepEqual(second.stats, first.stats);
  const other = await scenario(1235);
  assert.notEqual(other.hash, first.hash);
  assert.notDeepEqual(other.outcomes, first.outcomes);

  // The scenario exercised every fault it claims to.
  const stats = first.stats as { net: SimNetworkStats; world: SimWorldStats; skipped: number };
  assert.ok(first.outcomes.length > 100, `${first.outcomes.length} calls completed`);
  assert.ok(first.outcomes.some((o) => o.endsWith('ERR_OK')));
  assert.ok(stats.net.droppedBy.random > 0);
  assert.ok(stats.net.droppedBy.partition > 0);
  assert.ok(stats.net.droppedBy.nodeDown > 0);
  assert.ok(stats.net.messagesDuplicated > 0);
  assert.ok(stats.net.callsTimedOut > 0);
  assert.ok(stats.net.lateResponses > 0);
  assert.deepEqual(stats.world, { processCrashes: 1, machineCrashes: 1, restarts: 2 });
  assert.ok(stats.skipped > 0, 'the crashed processes left events that never ran');
  assert.match(first.report, /^seed 1234 /);
  assert.match(first.report, /--- last events ---\n[\d.]+ #\d+ /);
});
